# category: geometry
# style: gpt4
# needs: image
# expect: Estimated pole height
# figures: 1
import matplotlib.pyplot as plt

# Step 1: show the image with a fine grid to locate the sign post
fig, ax = plt.subplots(figsize=(10, 7))
ax.imshow(image_clue_0)
ax.set_xticks(range(0, 513, 32))
ax.set_yticks(range(0, 385, 32))
ax.tick_params(labelsize=7)
ax.grid(color="white", linewidth=0.4)
plt.show()
# %%
# Step 2: the post appears around x=350 between y=210 and y=300; measure the dark run in that column
import numpy as np
col = np.asarray(image_clue_0.convert("L"), dtype=int)[:, 348:353].mean(axis=1)
dark_rows = np.nonzero(col < 80)[0]
runs = np.split(dark_rows, np.nonzero(np.diff(dark_rows) > 1)[0] + 1)
longest = max(runs, key=len)
print(f"Estimated pole height: {len(longest)} px (rows {longest[0]}-{longest[-1]})")
