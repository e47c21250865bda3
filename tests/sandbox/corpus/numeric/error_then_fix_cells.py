# category: numeric
# style: claude
# needs: image
# expect: Corrected mean
import numpy as np

arr = np.asarray(image_clue_0)
try:
    # uint8 arithmetic wraps around: compute the contrast the wrong way first, then check it
    naive = (arr[..., 0] - arr[..., 2]).mean()
    print(f"Naive red-blue difference: {naive:.2f}")
    assert naive < 255, "impossible value"
except Exception as e:
    print(f"{type(e).__name__}: {e}")
# %%
# That value looks wrong because of uint8 overflow; redo it in a signed type.
diff = arr[..., 0].astype(np.int16) - arr[..., 2].astype(np.int16)
print(f"Corrected mean red-blue difference: {diff.mean():.2f}")
print(f"Pixels redder than blue: {(diff > 0).mean():.1%}")
