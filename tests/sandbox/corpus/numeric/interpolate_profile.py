# category: numeric
# style: gpt4
# needs: image
# expect: interpolated
import numpy as np
from scipy.interpolate import interp1d

gray = np.asarray(image_clue_0.convert("L"), dtype=float)
xs = np.arange(0, gray.shape[1], 32)
samples = gray[240, xs]
f = interp1d(xs, samples, kind="cubic")
fine = np.linspace(xs[0], xs[-1], 200)
est = f(fine)
actual = gray[240, np.round(fine).astype(int)]
print(f"interpolated {len(fine)} points, mean abs error {np.abs(est - actual).mean():.2f}")
