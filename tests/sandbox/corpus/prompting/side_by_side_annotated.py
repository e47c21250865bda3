# category: prompting
# style: gpt4
# needs: image
# figures: 1
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle, Circle

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 6))
ax1.imshow(image_clue_0)
ax1.add_patch(Rectangle((320, 150), 60, 60, fill=False, edgecolor="red", linewidth=2))
ax1.add_patch(Circle((435, 65), 40, fill=False, edgecolor="orange", linewidth=2))
ax1.set_title("Full image with regions marked")
ax2.imshow(image_clue_0.crop((320, 150, 380, 210)).resize((240, 240)))
ax2.set_title("Zoom: red box")
for a in (ax1, ax2):
    a.axis("off")
plt.tight_layout()
plt.show()
