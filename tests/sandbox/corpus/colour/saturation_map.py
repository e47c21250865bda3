# category: colour
# style: claude
# needs: image
# expect: Most saturated
import numpy as np
from PIL import Image

hsv = np.asarray(image_clue_0.convert("HSV"))
sat = hsv[..., 1].astype(float) / 255
print(f"Mean saturation: {sat.mean():.3f}")
y, x = np.unravel_index(np.argmax(sat), sat.shape)
print(f"Most saturated pixel at (x={x}, y={y}): RGB {image_clue_0.getpixel((int(x), int(y)))}")
