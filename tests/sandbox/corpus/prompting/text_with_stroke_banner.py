# category: prompting
# style: qwen
# needs: image
# figures: 1
from PIL import Image, ImageDraw, ImageFont

img = image_clue_0.copy()
banner = Image.new("RGB", (img.width, 40), (20, 20, 20))
canvas = Image.new("RGB", (img.width, img.height + 40))
canvas.paste(banner, (0, 0))
canvas.paste(img, (0, 40))
draw = ImageDraw.Draw(canvas)
font = ImageFont.load_default(size=20)
draw.text((10, 8), "Q: what colour is the car?", font=font, fill="white", stroke_width=1, stroke_fill="black")
import matplotlib.pyplot as plt
plt.figure(figsize=(8, 6))
plt.imshow(canvas)
plt.axis('off')
plt.show()
