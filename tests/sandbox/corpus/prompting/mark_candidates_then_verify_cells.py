# category: prompting
# style: claude
# needs: image
# expect: Verified
# figures: 2
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import matplotlib.patches as mpatches

candidates = {"A": (60, 190, 270, 310), "B": (300, 130, 400, 230), "C": (390, 20, 480, 110)}
fig, ax = plt.subplots(figsize=(8, 6))
ax.imshow(image_clue_0)
for name, (x1, y1, x2, y2) in candidates.items():
    ax.add_patch(mpatches.Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor='yellow', linewidth=2))
    ax.text(x1 + 4, y1 + 16, name, color='yellow', fontsize=14, fontweight='bold')
ax.axis('off')
plt.show()
# %%
# Candidate B should contain the sign with text. Zoom in with enhancement to verify.
from PIL import ImageEnhance
crop = image_clue_0.crop(candidates["B"]).resize((400, 400))
crop = ImageEnhance.Contrast(crop).enhance(1.8)
plt.figure(figsize=(5, 5))
plt.imshow(crop)
plt.axis('off')
plt.show()
print("Verified candidate B visually")
