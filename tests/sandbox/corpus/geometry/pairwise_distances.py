# category: geometry
# style: gpt4
# needs: none
# expect: closest pair
import numpy as np
from scipy.spatial.distance import cdist

centres = np.array([[165, 245], [350, 180], [435, 65], [160, 330]])
names = ["car", "sign", "sun", "road"]
D = cdist(centres, centres)
np.fill_diagonal(D, np.inf)
i, j = np.unravel_index(np.argmin(D), D.shape)
print(f"closest pair: {names[i]} and {names[j]} at {D[i, j]:.1f} px")
print(np.round(np.where(np.isinf(D), 0, D), 1))
