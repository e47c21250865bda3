# category: video
# style: qwen
# needs: video
# expect: frames with large change
import numpy as np

vr = video_clue_0
prev = None
count = 0
for i in range(0, len(vr), 2):
    f = vr[i].asnumpy().astype(np.float32)
    if prev is not None and np.abs(f - prev).mean() > 20:
        count += 1
    prev = f
print("frames with large change:", count)
