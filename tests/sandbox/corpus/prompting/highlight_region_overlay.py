# category: prompting
# style: claude
# needs: image
# figures: 1
from PIL import Image, ImageDraw

base = image_clue_0.convert("RGBA")
overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
draw = ImageDraw.Draw(overlay)
# Dim everything except the region of interest
draw.rectangle([0, 0, base.width, base.height], fill=(0, 0, 0, 140))
draw.rectangle([300, 130, 400, 230], fill=(0, 0, 0, 0))
draw.rectangle([300, 130, 400, 230], outline=(255, 255, 0, 255), width=3)
highlighted = Image.alpha_composite(base, overlay).convert("RGB")
import matplotlib.pyplot as plt
plt.imshow(highlighted)
plt.axis("off")
plt.show()
