# category: advanced
# style: claude
# needs: image
# expect: Region
import numpy as np
from skimage import measure, morphology

def object_mask(img_array):
    """Pixels that are clearly not sky or grass: saturated red, dark or deep blue."""
    r, g, b = [img_array[..., i].astype(int) for i in range(3)]
    red = (r > 150) & (g < 90)
    dark = (r + g + b) < 120
    blue = (b > 150) & (r < 80)
    return red | dark | blue

arr = np.array(image_clue_0)
mask = morphology.remove_small_objects(object_mask(arr), max_size=100)
labels = measure.label(mask, connectivity=2)
props = measure.regionprops(labels)
print(f"{len(props)} regions")
for p in sorted(props, key=lambda p: p.area, reverse=True)[:5]:
    minr, minc, maxr, maxc = p.bbox
    print(f"Region {p.label}: area={p.area}, bbox=({minc}, {minr}, {maxc}, {maxr}), "
          f"centroid=({p.centroid[1]:.0f}, {p.centroid[0]:.0f}), eccentricity={p.eccentricity:.2f}")
