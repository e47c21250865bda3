# category: python
# style: gpt4
# needs: image
# expect: GrayAnalyzer
import numpy as np

class Analyzer:
    name = "base"

    def __init__(self, img):
        self.img = img

    def stats(self):
        arr = np.asarray(self.prepare(), dtype=float)
        return {"mean": arr.mean(), "std": arr.std()}

    def prepare(self):
        return self.img

    def report(self):
        s = self.stats()
        return f"{type(self).__name__}: mean={s['mean']:.1f}, std={s['std']:.1f}"

class GrayAnalyzer(Analyzer):
    name = "gray"

    def prepare(self):
        return super().prepare().convert("L")

class CropAnalyzer(GrayAnalyzer):
    def __init__(self, img, box):
        super().__init__(img)
        self.box = box

    def prepare(self):
        return super().prepare().crop(self.box)

for a in (Analyzer(image_clue_0), GrayAnalyzer(image_clue_0), CropAnalyzer(image_clue_0, (80, 210, 250, 280))):
    print(a.report())
