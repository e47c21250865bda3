# category: geometry
# style: claude
# needs: image
# expect: Fitted line
import numpy as np

def fit_line(xs, ys):
    """Least-squares y = a*x + b; returns (a, b, rms residual)."""
    A = np.column_stack([xs, np.ones_like(xs)])
    (a, b), *_ = np.linalg.lstsq(A, ys, rcond=None)
    rms = float(np.sqrt(np.mean((A @ np.array([a, b]) - ys) ** 2)))
    return a, b, rms

gray = np.asarray(image_clue_0.convert("L"), dtype=float)
grad = np.abs(np.diff(gray, axis=0))
xs = np.arange(gray.shape[1], dtype=float)
ys = grad[180:300].argmax(axis=0).astype(float) + 180
a, b, rms = fit_line(xs, ys)
print(f"Fitted line: y = {a:.4f} x + {b:.1f} (rms {rms:.1f} px); slope angle {np.degrees(np.arctan(a)):.2f} degrees")
