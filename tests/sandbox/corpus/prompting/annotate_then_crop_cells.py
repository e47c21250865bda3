# category: prompting
# style: gpt4
# needs: image
# figures: 2
from PIL import ImageDraw
import matplotlib.pyplot as plt

annotated = image_clue_0.copy()
draw = ImageDraw.Draw(annotated)
candidates = [(70, 200, 260, 315), (310, 140, 390, 220)]
for i, box in enumerate(candidates):
    draw.rectangle(box, outline=(255, 0, 0), width=3)
    draw.text((box[0] + 3, box[1] + 3), f"#{i}", fill=(255, 0, 0))
plt.imshow(annotated)
plt.axis("off")
plt.show()
# %%
# Candidate #1 looks like the sign; zoom into it
sign = image_clue_0.crop(candidates[1]).resize((320, 320))
plt.imshow(sign)
plt.axis("off")
plt.show()
