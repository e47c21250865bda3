# category: basic
# style: claude
# needs: image
# expect: done
# figures: 1
from PIL import Image, ImageFilter
import matplotlib.pyplot as plt

def sharpen_region(img, box, passes=2):
    """Crop a region and apply an unsharp mask a few times."""
    region = img.crop(box)
    for _ in range(passes):
        region = region.filter(ImageFilter.UnsharpMask(radius=2, percent=150, threshold=3))
    return region

try:
    region = sharpen_region(image_clue_0, (310, 140, 390, 220))
    region = region.resize((320, 320), Image.Resampling.BICUBIC)
    plt.figure(figsize=(5, 5))
    plt.imshow(region)
    plt.title("Sharpened sign region")
    plt.axis("off")
    plt.show()
    print("done")
except Exception as e:
    print(f"Error while sharpening: {type(e).__name__}: {e}")
