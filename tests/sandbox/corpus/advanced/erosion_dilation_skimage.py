# category: advanced
# style: claude
# needs: image
# expect: pixels after
from skimage import morphology
import numpy as np

arr = np.asarray(image_clue_0)
dark = arr.sum(axis=2) < 150
footprint = morphology.disk(3)
eroded = morphology.binary_erosion(dark, footprint)
dilated = morphology.binary_dilation(dark, footprint)
skeleton = morphology.skeletonize(dark)
print(f"Dark pixels: {dark.sum()}")
print(f"pixels after erosion: {eroded.sum()}, after dilation: {dilated.sum()}, skeleton: {skeleton.sum()}")
