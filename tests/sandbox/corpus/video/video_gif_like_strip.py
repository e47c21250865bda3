# category: video
# style: qwen
# needs: video
# figures: 1
from PIL import Image
import numpy as np

vr = video_clue_0
idx = list(range(0, len(vr), 8))
frames = [Image.fromarray(vr[i].asnumpy()).resize((96, 72)) for i in idx]
strip = Image.new("RGB", (96 * len(frames), 72))
for k, fr in enumerate(frames):
    strip.paste(fr, (96 * k, 0))
import matplotlib.pyplot as plt
plt.figure(figsize=(16, 2))
plt.imshow(strip)
plt.axis("off")
plt.show()
