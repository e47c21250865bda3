# category: numeric
# style: gpt4
# needs: image
# figures: 1
import numpy as np
import matplotlib.pyplot as plt

gray = np.array(image_clue_0.convert("L"))
hist = np.bincount(gray.ravel(), minlength=256)
cdf = hist.cumsum() / hist.sum()
median_value = int(np.searchsorted(cdf, 0.5))
fig, ax1 = plt.subplots(figsize=(9, 5))
ax1.bar(range(256), hist, color="gray", width=1.0)
ax1.set_xlabel("intensity")
ax1.set_ylabel("count")
ax2 = ax1.twinx()
ax2.plot(range(256), cdf, color="red")
ax2.axvline(median_value, color="blue", linestyle="--")
ax2.set_ylabel("CDF")
plt.title(f"Intensity distribution (median {median_value})")
plt.show()
