# category: basic
# style: claude
# needs: image
# expect: Enhanced
# figures: 1
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

# Let me enhance the image to make the small text on the sign easier to read.
img = image_clue_0.copy()

enhancer = ImageEnhance.Contrast(img)
high_contrast = enhancer.enhance(2.0)
sharp = ImageEnhance.Sharpness(high_contrast).enhance(2.5)
bright = ImageEnhance.Brightness(sharp).enhance(1.2)

fig, axes = plt.subplots(1, 2, figsize=(12, 5))
axes[0].imshow(img)
axes[0].set_title('Original')
axes[1].imshow(bright)
axes[1].set_title('Enhanced (contrast 2.0, sharpness 2.5, brightness 1.2)')
for ax in axes:
    ax.axis('off')
plt.tight_layout()
plt.savefig('enhanced_comparison.png', dpi=100, bbox_inches='tight')
plt.show()
print("Enhanced image size:", bright.size)
