# category: numeric
# style: gpt4
# needs: image
# expect: identical
# exception: file: saves the histogram with np.save and loads it back
import numpy as np

hist = np.bincount(np.asarray(image_clue_0.convert("L")).ravel(), minlength=256)
np.save("hist.npy", hist)
loaded = np.load("hist.npy")
np.savetxt("hist.csv", hist, fmt="%d", delimiter=",")
print("identical:", np.array_equal(hist, loaded), "csv lines:", len(open("hist.csv").read().splitlines()))
