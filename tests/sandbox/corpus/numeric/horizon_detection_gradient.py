# category: numeric
# style: claude
# needs: image
# expect: Horizon
import numpy as np

def find_horizon(img):
    """The row where mean brightness changes the most between consecutive rows."""
    g = np.asarray(img.convert("L"), dtype=np.float32)
    profile = g.mean(axis=1)
    diffs = np.abs(np.diff(profile))
    return int(np.argmax(diffs)) + 1, float(diffs.max())

row, jump = find_horizon(image_clue_0)
print(f"Horizon at row {row} (brightness jump {jump:.1f})")
