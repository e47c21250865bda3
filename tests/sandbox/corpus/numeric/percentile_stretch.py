# category: numeric
# style: qwen
# needs: image
# expect: p2
# figures: 1
import numpy as np
import matplotlib.pyplot as plt

a = np.asarray(image_clue_0).astype(np.float32)
p2, p98 = np.percentile(a, (2, 98))
print("p2", p2, "p98", p98)
stretched = np.clip((a - p2) / (p98 - p2), 0, 1)
plt.imshow(stretched)
plt.axis('off')
plt.show()
