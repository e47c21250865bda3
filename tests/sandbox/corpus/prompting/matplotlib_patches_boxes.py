# category: prompting
# style: gpt4
# needs: image
# figures: 1
import matplotlib.pyplot as plt
import matplotlib.patches as patches

fig, ax = plt.subplots(figsize=(10, 7))
ax.imshow(image_clue_0)
detections = [
    ("car", 0.92, (80, 210, 170, 70)),
    ("traffic sign", 0.81, (320, 150, 60, 60)),
    ("sun", 0.66, (400, 30, 70, 70)),
]
for label, score, (x, y, w, h) in detections:
    rect = patches.Rectangle((x, y), w, h, linewidth=2, edgecolor="lime", facecolor="none")
    ax.add_patch(rect)
    ax.text(x, y - 5, f"{label} {score:.2f}", color="white", fontsize=10,
            bbox=dict(facecolor="green", alpha=0.6, pad=1))
ax.axis("off")
plt.show()
