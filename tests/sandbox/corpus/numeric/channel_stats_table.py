# category: numeric
# style: claude
# needs: image
# expect: Channel
import numpy as np

arr = np.asarray(image_clue_0, dtype=np.float64)
print(f"{'Channel':<8}{'mean':>8}{'std':>8}{'median':>8}{'p5':>8}{'p95':>8}")
for i, name in enumerate(("R", "G", "B")):
    ch = arr[..., i].ravel()
    p5, p95 = np.percentile(ch, [5, 95])
    print(f"{name:<8}{ch.mean():>8.1f}{ch.std():>8.1f}{np.median(ch):>8.1f}{p5:>8.1f}{p95:>8.1f}")
