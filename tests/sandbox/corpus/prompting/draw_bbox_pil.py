# category: prompting
# style: qwen
# needs: image
# figures: 1
from PIL import Image, ImageDraw
import matplotlib.pyplot as plt

image = image_clue_0.copy()
draw = ImageDraw.Draw(image)
# draw a bounding box around the red car
draw.rectangle([75, 205, 255, 310], outline="yellow", width=3)
plt.imshow(image)
plt.axis('off')
plt.show()
