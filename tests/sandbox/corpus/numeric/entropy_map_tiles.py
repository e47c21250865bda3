# category: numeric
# style: qwen
# needs: image
# figures: 1
import numpy as np
import matplotlib.pyplot as plt

gray = np.asarray(image_clue_0.convert("L"))
ts = 32
H, W = gray.shape[0] // ts, gray.shape[1] // ts
ent = np.zeros((H, W))
for i in range(H):
    for j in range(W):
        t = gray[i*ts:(i+1)*ts, j*ts:(j+1)*ts]
        p = np.bincount(t.ravel(), minlength=256) / t.size
        p = p[p > 0]
        ent[i, j] = -(p * np.log2(p)).sum()
plt.imshow(ent, cmap='hot')
plt.colorbar()
plt.title('local entropy')
plt.show()
