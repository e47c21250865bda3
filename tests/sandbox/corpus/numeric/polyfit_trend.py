# category: numeric
# style: qwen
# needs: image
# expect: slope
import numpy as np

gray = np.asarray(image_clue_0.convert("L"), dtype=float)
rows = np.arange(0, 240)
vals = gray[:240].mean(axis=1)
slope, intercept = np.polyfit(rows, vals, 1)
print(f"slope {slope:.4f}, intercept {intercept:.2f}")
resid = vals - (slope * rows + intercept)
print("residual std", resid.std().round(3))
