# category: colour
# style: gpt4
# needs: image
# expect: warm
import numpy as np

arr = np.asarray(image_clue_0, dtype=float)
r_mean, b_mean = arr[..., 0].mean(), arr[..., 2].mean()
ratio = r_mean / b_mean
tone = "warm" if ratio > 1.05 else "cool" if ratio < 0.95 else "neutral"
print(f"R/B ratio = {ratio:.3f} -> the image looks {tone} (warm if > 1.05)")
