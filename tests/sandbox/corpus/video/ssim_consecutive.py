# category: video
# style: gpt4
# needs: video
# expect: lowest SSIM
import numpy as np
from skimage.metrics import structural_similarity as ssim

vr = video_clue_0
idx = list(range(0, len(vr), 4))
frames = vr.get_batch(idx).asnumpy()
gray = frames.mean(axis=3)
scores = [ssim(gray[i - 1], gray[i], data_range=255) for i in range(1, len(gray))]
worst = int(np.argmin(scores)) + 1
print(f"lowest SSIM {min(scores):.3f} between frames {idx[worst - 1]} and {idx[worst]}")
