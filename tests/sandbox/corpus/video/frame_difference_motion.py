# category: video
# style: qwen
# needs: video
# expect: mean abs diff
import numpy as np

vr = video_clue_0
a = vr[10].asnumpy().astype(np.int16)
b = vr[20].asnumpy().astype(np.int16)
diff = np.abs(a - b)
print("mean abs diff", diff.mean().round(2))
ys, xs = np.nonzero(diff.sum(axis=2) > 60)
print("changed region", xs.min(), ys.min(), xs.max(), ys.max())
