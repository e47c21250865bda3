# category: colour
# style: claude
# needs: image
# expect: closest named colour
import numpy as np

NAMED = {
    "red": (220, 30, 30), "green": (40, 160, 60), "blue": (30, 60, 200), "yellow": (240, 220, 50),
    "white": (245, 245, 245), "black": (15, 15, 15), "gray": (128, 128, 128), "orange": (250, 140, 20),
    "sky blue": (135, 190, 235),
}

def closest_colour(rgb):
    """Name of the nearest reference colour in RGB space."""
    return min(NAMED, key=lambda name: sum((a - b) ** 2 for a, b in zip(rgb, NAMED[name])))

regions = {"car": (90, 215, 240, 260), "sign": (325, 155, 375, 170), "sun": (420, 50, 450, 80), "sky": (0, 0, 300, 100)}
for label, box in regions.items():
    mean = np.asarray(image_clue_0.crop(box)).reshape(-1, 3).mean(axis=0)
    rgb = tuple(int(v) for v in mean)
    print(f"{label}: mean RGB {rgb}, closest named colour: {closest_colour(rgb)}")
