# category: basic
# style: gpt4
# needs: image
# figures: 1
import matplotlib.pyplot as plt

r, g, b = image_clue_0.split()
fig, axes = plt.subplots(1, 3, figsize=(15, 4))
for ax, ch, name in zip(axes, (r, g, b), ("Red", "Green", "Blue")):
    ax.imshow(ch, cmap="gray")
    ax.set_title(f"{name} channel")
    ax.axis("off")
plt.show()
