# category: numeric
# style: qwen
# needs: image
# figures: 1
import numpy as np
import matplotlib.pyplot as plt

gray = np.array(image_clue_0.convert("L"))
regions = {"sky": gray[:200], "ground": gray[260:], "car": gray[210:280, 80:250], "sign": gray[150:210, 320:380]}
plt.boxplot([r.ravel() for r in regions.values()])
plt.xticks(range(1, len(regions) + 1), list(regions))
plt.ylabel("intensity")
plt.show()
