# category: colour
# style: claude
# needs: image
# expect: Delta E
import numpy as np
from skimage import color

lab = color.rgb2lab(np.asarray(image_clue_0))
car = lab[220:270, 90:240].reshape(-1, 3).mean(axis=0)
sign = lab[155:205, 325:375].reshape(-1, 3).mean(axis=0)
delta_e = color.deltaE_ciede2000(car[None, :], sign[None, :])[0]
print(f"Car Lab: {np.round(car, 1)}, sign Lab: {np.round(sign, 1)}")
print(f"Delta E (CIEDE2000) between car and sign: {delta_e:.1f}")
