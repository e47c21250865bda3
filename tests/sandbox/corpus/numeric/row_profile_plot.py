# category: numeric
# style: qwen
# needs: image
# figures: 1
import numpy as np
import matplotlib.pyplot as plt

gray = np.array(image_clue_0.convert('L'), dtype=float)
row_mean = gray.mean(axis=1)
col_mean = gray.mean(axis=0)
fig, ax = plt.subplots(2, 1, figsize=(8, 6))
ax[0].plot(row_mean); ax[0].set_title('mean brightness per row')
ax[1].plot(col_mean); ax[1].set_title('mean brightness per column')
plt.tight_layout()
plt.show()
print('darkest row:', int(row_mean.argmin()), 'brightest row:', int(row_mean.argmax()))
