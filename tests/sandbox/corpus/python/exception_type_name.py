# category: python
# style: claude
# needs: image
# expect: IndexError
import numpy as np

arr = np.array(image_clue_0)
attempts = [lambda: arr[1000, 1000], lambda: image_clue_0.crop((0, 0, 10, 10)).getpixel((20, 20)), lambda: int("abc")]
for i, attempt in enumerate(attempts):
    try:
        attempt()
        print(f"attempt {i}: ok")
    except Exception as e:
        print(f"attempt {i}: {type(e).__name__}: {e}")
