# category: python
# style: claude
# needs: image
# expect: 2 notes
class Notebook:
    def __init__(self):
        self.notes = []

    def add(self, text):
        self.notes.append(text)
        return len(self.notes)

nb = Notebook()
nb.add(f"image size {image_clue_0.size}")
# %%
import numpy as np
nb.add(f"mean brightness {np.asarray(image_clue_0.convert('L')).mean():.1f}")
# %%
print(f"{len(nb.notes)} notes:")
for i, n in enumerate(nb.notes, 1):
    print(f"  {i}. {n}")
