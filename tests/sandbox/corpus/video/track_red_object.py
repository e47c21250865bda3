# category: video
# style: gpt4
# needs: video
# expect: moves
# figures: 1
import numpy as np
import matplotlib.pyplot as plt

vr = video_clue_0
positions = []
for i in range(0, len(vr), 4):
    frame = vr[i].asnumpy().astype(int)
    mask = (frame[..., 0] > 180) & (frame[..., 1] < 90) & (frame[..., 2] < 90)
    if mask.any():
        ys, xs = np.nonzero(mask)
        positions.append((i, xs.mean(), ys.mean()))
positions = np.array(positions)
dx = positions[-1, 1] - positions[0, 1]
print(f"The red object moves {dx:.1f} px to the {'right' if dx > 0 else 'left'} over {len(positions)} sampled frames")
plt.plot(positions[:, 0], positions[:, 1], "o-")
plt.xlabel("frame")
plt.ylabel("x position (px)")
plt.title("Red object trajectory")
plt.show()
