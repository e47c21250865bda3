# category: basic
# style: qwen
# needs: image
# figures: 1
import matplotlib.pyplot as plt

image = image_clue_0
regions = [(380, 10, 490, 120), (60, 190, 270, 310), (310, 140, 390, 220)]
fig, axs = plt.subplots(1, len(regions), figsize=(12, 4))
for i, box in enumerate(regions):
    axs[i].imshow(image.crop(box))
    axs[i].set_title(str(box))
    axs[i].axis('off')
plt.tight_layout()
plt.show()
