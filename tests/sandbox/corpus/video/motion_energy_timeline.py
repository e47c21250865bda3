# category: video
# style: claude
# needs: video
# expect: Peak motion
import numpy as np
from scipy.ndimage import gaussian_filter1d

def motion_energy(frames):
    """Mean absolute difference between consecutive frames, as float."""
    f = frames.astype(np.float32)
    return np.abs(np.diff(f, axis=0)).mean(axis=(1, 2, 3))

vr = video_clue_0
idx = np.arange(len(vr))
energy = np.concatenate([motion_energy(vr.get_batch(idx[i:i + 17]).asnumpy()) for i in range(0, len(vr) - 1, 16)])
smooth = gaussian_filter1d(energy, sigma=1.5)
peak = int(np.argmax(smooth))
print(f"Peak motion between frames {peak} and {peak + 1} at t={(peak + 1) / vr.get_avg_fps():.2f}s (energy {energy[peak]:.1f})")
