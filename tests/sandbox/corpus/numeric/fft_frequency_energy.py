# category: numeric
# style: gpt4
# needs: image
# expect: high-frequency
import numpy as np

gray = np.asarray(image_clue_0.convert("L"), dtype=float)
F = np.fft.fftshift(np.fft.fft2(gray))
power = np.abs(F) ** 2
h, w = gray.shape
yy, xx = np.ogrid[:h, :w]
r = np.sqrt((yy - h / 2) ** 2 + (xx - w / 2) ** 2)
low = power[r < 20].sum()
total = power.sum()
print(f"low-frequency energy share: {low / total:.3f}")
print(f"high-frequency energy share: {1 - low / total:.3f}")
