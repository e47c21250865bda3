# category: numeric
# style: claude
# needs: image
# expect: quartiles
import statistics
import numpy as np

gray = np.asarray(image_clue_0.convert("L"))
block_means = [float(gray[y:y + 32, x:x + 32].mean()) for y in range(0, gray.shape[0], 32) for x in range(0, gray.shape[1], 32)]
print(f"{len(block_means)} blocks")
print("mean:", round(statistics.mean(block_means), 2))
print("stdev:", round(statistics.stdev(block_means), 2))
print("quartiles:", [round(q, 1) for q in statistics.quantiles(block_means, n=4)])
