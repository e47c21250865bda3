# category: colour
# style: claude
# needs: image
# expect: closest
# First, look at the car region in isolation.
car = image_clue_0.crop((80, 210, 250, 280))
import numpy as np
pix = np.asarray(car).reshape(-1, 3)
print(f"{len(pix)} pixels in the car crop")
# %%
from collections import Counter
quantised = [tuple(int(v) // 32 * 32 for v in p) for p in pix[::7]]
top = Counter(quantised).most_common(3)
print("Top quantised colours:", top)
# %%
refs = {"red": (200, 30, 30), "blue": (30, 60, 200), "green": (60, 160, 60)}
best = min(refs, key=lambda k: np.linalg.norm(np.array(top[0][0]) - np.array(refs[k])))
print(f"The car's colour is closest to {best}")
