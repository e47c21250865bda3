# category: numeric
# style: claude
# needs: image
# expect: Fitted
import numpy as np
from scipy.optimize import curve_fit

def gaussian(x, a, mu, sigma):
    return a * np.exp(-((x - mu) ** 2) / (2 * sigma ** 2))

gray = np.asarray(image_clue_0.convert("L"))[:200].ravel()
hist, edges = np.histogram(gray, bins=64, range=(0, 256))
centres = (edges[:-1] + edges[1:]) / 2
p0 = [hist.max(), centres[np.argmax(hist)], 10]
try:
    params, _ = curve_fit(gaussian, centres, hist, p0=p0, maxfev=5000)
    a, mu, sigma = params
    print(f"Fitted Gaussian: amplitude={a:.0f}, mean={mu:.1f}, sigma={abs(sigma):.1f}")
except RuntimeError as e:
    print("Fit failed:", e)
