# category: python
# style: gpt4
# needs: none
# expect: Detection(label='car'
from dataclasses import dataclass, field, asdict
from typing import List, Tuple

@dataclass
class Detection:
    label: str
    score: float
    box: Tuple[int, int, int, int]
    tags: List[str] = field(default_factory=list)

    def width(self) -> int:
        return self.box[2] - self.box[0]

dets = [Detection("car", 0.93, (80, 210, 250, 280), ["vehicle"]), Detection("sign", 0.71, (320, 150, 380, 210))]
best = max(dets, key=lambda d: d.score)
print(best)
print(asdict(dets[1]))
print("widths:", [d.width() for d in dets])
