# category: python
# style: qwen
# needs: image
# expect: most common
from collections import Counter, defaultdict, OrderedDict, namedtuple

small = image_clue_0.resize((32, 24))
c = Counter(tuple(v // 64 for v in p) for p in small.getdata())
print("most common", c.most_common(3))
groups = defaultdict(list)
for (x, y) in [(0, 0), (10, 3), (20, 20)]:
    groups[y // 10].append(x)
print(dict(groups))
Point = namedtuple("Point", "x y")
p = Point(3, 4)
print(p, p._replace(x=10), p._asdict())
od = OrderedDict(sorted({"b": 2, "a": 1}.items()))
print(list(od))
