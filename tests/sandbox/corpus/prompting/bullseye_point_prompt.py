# category: prompting
# style: qwen
# needs: image
# figures: 1
import matplotlib.pyplot as plt

plt.figure(figsize=(8, 6))
plt.imshow(image_clue_0)
plt.scatter([165, 350], [245, 180], s=200, c="none", edgecolors="yellow", linewidths=2)
plt.scatter([165, 350], [245, 180], s=20, c="red", marker="x")
plt.text(165, 235, "A", color="yellow", fontsize=14, ha="center")
plt.text(350, 170, "B", color="yellow", fontsize=14, ha="center")
plt.axis("off")
plt.show()
