# category: basic
# style: qwen
# needs: image
# figures: 1
from PIL import Image
import matplotlib.pyplot as plt

image = image_clue_0
# Crop the region around the blue sign in the middle right of the image
cropped = image.crop((300, 130, 400, 230))
# Zoom in by 3x for a clearer view
zoomed = cropped.resize((cropped.width * 3, cropped.height * 3), Image.LANCZOS)
plt.imshow(zoomed)
plt.axis('off')
plt.show()
