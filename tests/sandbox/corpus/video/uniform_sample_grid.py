# category: video
# style: gpt4
# needs: video
# expect: Total frames
# figures: 1
import numpy as np
import matplotlib.pyplot as plt

vr = video_clue_0
total = len(vr)
fps = vr.get_avg_fps()
print(f"Total frames: {total}, FPS: {fps:.2f}, duration: {total / fps:.2f}s")

indices = np.linspace(0, total - 1, 8).astype(int)
frames = vr.get_batch(indices).asnumpy()
fig, axes = plt.subplots(2, 4, figsize=(16, 6))
for ax, idx, frame in zip(axes.flat, indices, frames):
    ax.imshow(frame)
    ax.set_title(f"frame {idx} ({idx / fps:.1f}s)")
    ax.axis("off")
plt.tight_layout()
plt.show()
