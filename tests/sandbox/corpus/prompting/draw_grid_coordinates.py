# category: prompting
# style: gpt4
# needs: image
# figures: 1
from PIL import ImageDraw

# Overlay a labelled coordinate grid so positions can be referenced precisely
img = image_clue_0.copy()
draw = ImageDraw.Draw(img)
step = 64
for x in range(0, img.width, step):
    draw.line([(x, 0), (x, img.height)], fill=(255, 255, 255), width=1)
    draw.text((x + 2, 2), str(x), fill=(255, 255, 0))
for y in range(0, img.height, step):
    draw.line([(0, y), (img.width, y)], fill=(255, 255, 255), width=1)
    draw.text((2, y + 2), str(y), fill=(255, 255, 0))
import matplotlib.pyplot as plt
plt.figure(figsize=(8, 6))
plt.imshow(img)
plt.axis('off')
plt.show()
