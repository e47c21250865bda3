# category: python
# style: gpt4
# needs: none
# expect: Color.RED
from enum import Enum
from typing import NamedTuple, Optional, Dict

class Color(Enum):
    RED = (255, 0, 0)
    GREEN = (0, 255, 0)
    BLUE = (0, 0, 255)

class Hit(NamedTuple):
    color: Color
    count: int
    note: Optional[str] = None

hits: Dict[str, Hit] = {"car": Hit(Color.RED, 11197), "sign": Hit(Color.BLUE, 3553, "square")}
for name, hit in hits.items():
    print(f"{name}: {hit.color} {hit.color.value} x{hit.count} note={hit.note}")
print([c.name for c in Color])
