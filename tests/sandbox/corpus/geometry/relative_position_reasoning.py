# category: geometry
# style: claude
# needs: image
# expect: is to the
import numpy as np

objects = {
    "car": (80, 210, 250, 280),
    "sign": (320, 150, 380, 210),
    "sun": (400, 30, 470, 100),
}

def centre(box):
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)

def relation(a, b):
    (ax, ay), (bx, by) = centre(objects[a]), centre(objects[b])
    horiz = "left" if ax < bx else "right"
    vert = "above" if ay < by else "below"
    return f"{a} is to the {horiz} of and {vert} the {b}"

for a, b in [("car", "sign"), ("sun", "car"), ("sign", "sun")]:
    print(relation(a, b))
