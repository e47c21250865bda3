# category: prompting
# style: gpt4
# needs: image
# figures: 1
from PIL import Image, ImageDraw, ImageFont
import matplotlib.pyplot as plt

img = image_clue_0.copy()
draw = ImageDraw.Draw(img)
font = ImageFont.load_default()

boxes = {
    "car": (75, 205, 255, 310),
    "sign": (315, 145, 385, 215),
    "sun": (395, 25, 475, 105),
}
colors = {"car": "red", "sign": "cyan", "sun": "orange"}
for label, box in boxes.items():
    draw.rectangle(box, outline=colors[label], width=3)
    tx, ty = box[0], max(0, box[1] - 14)
    bbox = draw.textbbox((tx, ty), label, font=font)
    draw.rectangle(bbox, fill=colors[label])
    draw.text((tx, ty), label, fill="black", font=font)

plt.figure(figsize=(10, 7))
plt.imshow(img)
plt.axis("off")
plt.title("Annotated objects")
plt.show()
