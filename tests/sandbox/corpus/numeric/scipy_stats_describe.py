# category: numeric
# style: gpt4
# needs: image
# expect: skewness
from scipy import stats
import numpy as np

gray = np.asarray(image_clue_0.convert("L")).ravel()
desc = stats.describe(gray.astype(float))
print(f"n={desc.nobs}, min/max={desc.minmax}, mean={desc.mean:.2f}, variance={desc.variance:.2f}")
print(f"skewness={desc.skewness:.3f}, kurtosis={desc.kurtosis:.3f}")
print("entropy of histogram:", round(stats.entropy(np.bincount(gray, minlength=256) + 1e-9), 3))
