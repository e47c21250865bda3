# category: colour
# style: qwen
# needs: image
# expect: %
import numpy as np

arr = np.array(image_clue_0).astype(int)
r, g, b = arr[..., 0], arr[..., 1], arr[..., 2]
masks = {
    "red": (r > 150) & (g < 100) & (b < 100),
    "green": (g > r + 20) & (g > b + 20),
    "blue": (b > r + 30) & (b > g),
    "yellow": (r > 200) & (g > 180) & (b < 120),
}
total = r.size
for name, m in masks.items():
    print(f"{name}: {m.sum() / total * 100:.2f}%")
