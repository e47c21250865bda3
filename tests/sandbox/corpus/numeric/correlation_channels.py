# category: numeric
# style: gpt4
# needs: image
# expect: Correlation matrix
import numpy as np

arr = np.asarray(image_clue_0).reshape(-1, 3).astype(float)
corr = np.corrcoef(arr.T)
print("Correlation matrix (R, G, B):")
for name, row in zip("RGB", corr):
    print(name, " ".join(f"{v:6.3f}" for v in row))
