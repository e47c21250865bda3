# category: video
# style: qwen
# needs: video
# figures: 1
import numpy as np
import matplotlib.pyplot as plt

vr = video_clue_0
n = len(vr)
before, after = vr[n // 2 - 2].asnumpy(), vr[n // 2 + 2].asnumpy()
montage = np.concatenate([before, np.full((before.shape[0], 4, 3), 255, np.uint8), after], axis=1)
plt.figure(figsize=(10, 4))
plt.imshow(montage)
plt.title("before / after the middle")
plt.axis("off")
plt.show()
