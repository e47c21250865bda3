# category: video
# style: qwen
# needs: video
# figures: 1
import matplotlib.pyplot as plt

vr = video_clue_0
fps = vr.get_avg_fps()
secs = [0, 2, 4, 6]
frames = vr.get_batch([int(s * fps) for s in secs]).asnumpy()
fig, axs = plt.subplots(1, 4, figsize=(16, 3))
for ax, s, f in zip(axs, secs, frames):
    ax.imshow(f); ax.set_title(f"t={s}s"); ax.axis("off")
plt.show()
