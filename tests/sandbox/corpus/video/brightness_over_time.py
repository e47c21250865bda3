# category: video
# style: claude
# needs: video
# figures: 1
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import numpy as np

vr = video_clue_0
fps = vr.get_avg_fps()
idx = np.arange(0, len(vr), 2)
frames = vr.get_batch(idx).asnumpy()
brightness = frames.reshape(len(idx), -1).mean(axis=1)
plt.figure(figsize=(10, 4))
plt.plot(idx / fps, brightness, marker='.')
plt.xlabel('time (s)')
plt.ylabel('mean brightness')
plt.title('Brightness over time')
plt.grid(True, alpha=0.3)
plt.savefig('brightness.png')
plt.show()
