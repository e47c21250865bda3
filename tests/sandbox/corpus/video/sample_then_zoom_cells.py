# category: video
# style: claude
# needs: video
# expect: zoomed
# figures: 2
import numpy as np
import matplotlib.pyplot as plt

vr = video_clue_0
idx = np.linspace(0, len(vr) - 1, 4, dtype=int)
frames = vr.get_batch(idx).asnumpy()
fig, axes = plt.subplots(1, 4, figsize=(14, 3))
for ax, i, f in zip(axes, idx, frames):
    ax.imshow(f)
    ax.set_title(f"frame {i}")
    ax.axis("off")
plt.show()
# %%
# Frame 42 should be in the interval where something green appears; zoom on the lower middle.
from PIL import Image
frame = Image.fromarray(vr[42].asnumpy())
crop = frame.crop((120, 80, 190, 140)).resize((280, 240), Image.NEAREST)
plt.imshow(crop)
plt.axis("off")
plt.show()
print("zoomed on frame 42")
