# category: video
# style: gpt4
# needs: video
# expect: foreground
# figures: 1
import numpy as np
import matplotlib.pyplot as plt

vr = video_clue_0
idx = np.arange(0, 30, 3)  # first scene only
frames = vr.get_batch(idx).asnumpy().astype(np.float32)
background = np.median(frames, axis=0)
fg = np.abs(frames[-1] - background).sum(axis=2) > 60
print(f"foreground pixels in frame {idx[-1]}: {fg.sum()}")
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
axes[0].imshow(background.astype(np.uint8)); axes[0].set_title("median background")
axes[1].imshow(fg, cmap="gray"); axes[1].set_title("foreground mask")
for a in axes:
    a.axis("off")
plt.show()
