# category: python
# style: qwen
# needs: none
# expect: from_xywh
class Box:
    __slots__ = ("x1", "y1", "x2", "y2")

    def __init__(self, x1, y1, x2, y2):
        self.x1, self.y1, self.x2, self.y2 = x1, y1, x2, y2

    @classmethod
    def from_xywh(cls, x, y, w, h):
        return cls(x, y, x + w, y + h)

    @staticmethod
    def clamp(v, lo, hi):
        return max(lo, min(hi, v))

    def __eq__(self, other):
        return isinstance(other, Box) and (self.x1, self.y1, self.x2, self.y2) == (other.x1, other.y1, other.x2, other.y2)

b = Box.from_xywh(80, 210, 170, 70)
print("from_xywh", (b.x1, b.y1, b.x2, b.y2), b == Box(80, 210, 250, 280), Box.clamp(300, 0, 255))
