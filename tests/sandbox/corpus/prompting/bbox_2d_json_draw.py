# category: prompting
# style: qwen
# needs: image
# expect: 2 boxes
# figures: 1
import json
from PIL import ImageDraw
import matplotlib.pyplot as plt

grounding = '''[
  {"bbox_2d": [80, 210, 250, 280], "label": "red car"},
  {"bbox_2d": [320, 150, 380, 210], "label": "stop sign"}
]'''
objs = json.loads(grounding)
img = image_clue_0.copy()
draw = ImageDraw.Draw(img)
for o in objs:
    x1, y1, x2, y2 = o["bbox_2d"]
    draw.rectangle([x1, y1, x2, y2], outline="lime", width=2)
    draw.text((x1, y1 - 12), o["label"], fill="lime")
print(len(objs), "boxes")
plt.imshow(img)
plt.axis("off")
plt.show()
