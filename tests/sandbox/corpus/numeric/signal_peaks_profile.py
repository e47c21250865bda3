# category: numeric
# style: gpt4
# needs: image
# expect: peaks
import numpy as np
from scipy.signal import find_peaks, savgol_filter

gray = np.asarray(image_clue_0.convert("L"), dtype=float)
profile = gray[150:300].mean(axis=0)
smooth = savgol_filter(profile, window_length=11, polyorder=2)
peaks, props = find_peaks(-smooth, prominence=10)
print(f"Found {len(peaks)} dark peaks along the columns at x = {peaks.tolist()}")
print("prominences:", np.round(props["prominences"], 1).tolist())
