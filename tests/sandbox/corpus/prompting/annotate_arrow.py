# category: prompting
# style: claude
# needs: image
# figures: 1
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(9, 7))
ax.imshow(image_clue_0)
ax.annotate("the sign post", xy=(350, 260), xytext=(420, 330),
            arrowprops=dict(arrowstyle="->", color="yellow", lw=2),
            color="yellow", fontsize=12, fontweight="bold")
ax.annotate("sun", xy=(435, 65), xytext=(300, 40),
            arrowprops=dict(facecolor="red", shrink=0.05, width=2, headwidth=8))
ax.set_axis_off()
plt.tight_layout()
plt.savefig("annotated_arrows.png", dpi=120)
plt.show()
