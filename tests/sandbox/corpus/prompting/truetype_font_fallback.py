# category: prompting
# style: claude
# needs: image
# expect: font:
# figures: 1
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from PIL import Image, ImageDraw, ImageFont

def get_font(size=20):
    """Try a TrueType font first; fall back to PIL's built-in bitmap font."""
    for name in ("DejaVuSans.ttf", "arial.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except (OSError, IOError):
            continue
    return ImageFont.load_default()

font = get_font(22)
print("font:", type(font).__name__)
annotated = image_clue_0.copy()
draw = ImageDraw.Draw(annotated)
draw.text((90, 180), "Red car", font=font, fill=(255, 255, 0))
draw.text((300, 115), "Blue sign", font=font, fill=(255, 255, 255))
plt.imshow(annotated)
plt.axis('off')
plt.show()
