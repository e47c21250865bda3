# category: basic
# style: gpt4
# needs: image
# figures: 1
from PIL import ImageFilter
import matplotlib.pyplot as plt

filters = [ImageFilter.EDGE_ENHANCE, ImageFilter.EDGE_ENHANCE_MORE, ImageFilter.DETAIL, ImageFilter.SMOOTH_MORE]
names = ["EDGE_ENHANCE", "EDGE_ENHANCE_MORE", "DETAIL", "SMOOTH_MORE"]
plt.figure(figsize=(14, 4))
for i, (f, n) in enumerate(zip(filters, names)):
    plt.subplot(1, 4, i + 1)
    plt.imshow(image_clue_0.filter(f))
    plt.title(n, fontsize=9)
    plt.axis("off")
plt.show()
