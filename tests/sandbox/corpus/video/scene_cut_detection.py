# category: video
# style: claude
# needs: video
# expect: Scene cut
import numpy as np

def frame_histogram(frame, bins=16):
    """Normalised joint colour histogram, coarse enough to ignore small motion."""
    q = (frame // (256 // bins)).reshape(-1, 3)
    idx = q[:, 0] * bins * bins + q[:, 1] * bins + q[:, 2]
    h = np.bincount(idx, minlength=bins ** 3).astype(float)
    return h / h.sum()

vr = video_clue_0
step = 2
indices = list(range(0, len(vr), step))
frames = vr.get_batch(indices).asnumpy()
hists = [frame_histogram(f) for f in frames]
diffs = [0.5 * np.abs(hists[i] - hists[i - 1]).sum() for i in range(1, len(hists))]
for i, d in enumerate(diffs, start=1):
    if d > 0.4:
        print(f"Scene cut between frame {indices[i - 1]} and {indices[i]} (histogram distance {d:.2f})")
print(f"Max histogram distance: {max(diffs):.2f}")
