# category: video
# style: gpt4
# needs: video
# expect: green object
import numpy as np

vr = video_clue_0
fps = vr.get_avg_fps()
present = []
for i in range(len(vr)):
    f = vr[i].asnumpy().astype(int)
    green = (f[..., 1] > 150) & (f[..., 0] < 100) & (f[..., 2] < 120)
    present.append(green.sum() > 200)
present = np.array(present)
if present.any():
    first, last = np.argmax(present), len(present) - 1 - np.argmax(present[::-1])
    print(f"The green object is visible from frame {first} ({first / fps:.2f}s) to frame {last} ({last / fps:.2f}s)")
else:
    print("No green object found")
