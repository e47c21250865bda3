# category: python
# style: claude
# needs: image
# expect: BoundingBox(
class BoundingBox:
    """An axis-aligned box in pixel coordinates."""

    def __init__(self, x1, y1, x2, y2, label=""):
        self.x1, self.y1, self.x2, self.y2 = x1, y1, x2, y2
        self.label = label

    @property
    def area(self):
        return max(0, self.x2 - self.x1) * max(0, self.y2 - self.y1)

    def crop(self, img):
        return img.crop((self.x1, self.y1, self.x2, self.y2))

    def __repr__(self):
        return f"BoundingBox({self.x1}, {self.y1}, {self.x2}, {self.y2}, label={self.label!r})"

boxes = [BoundingBox(80, 210, 250, 280, "car"), BoundingBox(320, 150, 380, 210, "sign")]
for b in sorted(boxes, key=lambda b: b.area, reverse=True):
    print(b, "area", b.area, "crop size", b.crop(image_clue_0).size)
