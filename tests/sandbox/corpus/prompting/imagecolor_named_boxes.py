# category: prompting
# style: claude
# needs: image
# expect: rgb
from PIL import ImageColor, ImageDraw

palette = ["tomato", "gold", "deepskyblue", "#7CFC00"]
img = image_clue_0.copy()
draw = ImageDraw.Draw(img)
for i, name in enumerate(palette):
    rgb = ImageColor.getrgb(name)
    print(f"{name:>12} -> rgb{rgb}")
    draw.rectangle([10 + i * 40, 10, 40 + i * 40, 40], fill=rgb)
import matplotlib.pyplot as plt
plt.figure(figsize=(8, 6))
plt.imshow(img)
plt.axis('off')
plt.show()
