# category: geometry
# style: gpt4
# needs: image
# expect: profile length
import numpy as np
from skimage.measure import profile_line

gray = np.asarray(image_clue_0.convert("L"), dtype=float)
prof = profile_line(gray, (240, 0), (240, 511), linewidth=3)
print(f"profile length: {len(prof)} samples")
dark = np.nonzero(prof < 60)[0]
if dark.size:
    print(f"dark run from x={dark.min()} to x={dark.max()} ({dark.max() - dark.min() + 1} px)")
