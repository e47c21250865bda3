# category: prompting
# style: gpt4
# needs: image
# expect: Difference bbox
# figures: 1
from PIL import ImageChops, ImageDraw, ImageEnhance
import matplotlib.pyplot as plt

# Simulate an edited version (an extra box) and visualise where it differs from the original
edited = image_clue_0.copy()
ImageDraw.Draw(edited).rectangle((150, 60, 220, 120), fill=(255, 255, 255))
diff = ImageChops.difference(image_clue_0, edited)
print("Difference bbox:", diff.getbbox())
boosted = ImageEnhance.Brightness(diff).enhance(4.0)
plt.imshow(boosted)
plt.axis("off")
plt.show()
