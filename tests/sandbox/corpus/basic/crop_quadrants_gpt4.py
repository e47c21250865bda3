# category: basic
# style: gpt4
# needs: image
# expect: top-left
# figures: 1
import matplotlib.pyplot as plt

# Split the image into four quadrants to inspect each region in detail
img = image_clue_0
width, height = img.size
print(f"Image size: {width}x{height}")

quadrants = {
    "top-left": (0, 0, width // 2, height // 2),
    "top-right": (width // 2, 0, width, height // 2),
    "bottom-left": (0, height // 2, width // 2, height),
    "bottom-right": (width // 2, height // 2, width, height),
}

fig, axes = plt.subplots(2, 2, figsize=(10, 8))
for ax, (name, box) in zip(axes.flat, quadrants.items()):
    ax.imshow(img.crop(box))
    ax.set_title(name)
    ax.axis("off")
    print(name, box)
plt.tight_layout()
plt.show()
