# category: basic
# style: claude
# needs: image
# expect: Padded size
from PIL import ImageOps

img = image_clue_0
padded = ImageOps.expand(img, border=20, fill=(0, 0, 0))
print(f"Original size: {img.size}")
print(f"Padded size: {padded.size}")
fitted = ImageOps.fit(img, (256, 256), centering=(0.5, 0.5))
print(f"Fitted thumbnail: {fitted.size}")
contained = ImageOps.contain(img, (200, 200))
print(f"Contained: {contained.size}")
