# category: python
# style: claude
# needs: none
# expect: top-3
import heapq
import bisect
import copy

scores = {"car": 0.93, "sign": 0.71, "sun": 0.66, "tree": 0.42, "person": 0.88}
top3 = heapq.nlargest(3, scores.items(), key=lambda kv: kv[1])
print("top-3:", top3)
thresholds = [0.5, 0.7, 0.9]
for name, s in scores.items():
    print(f"{name}: bucket {bisect.bisect(thresholds, s)}")
nested = {"a": [1, 2], "b": {"c": 3}}
deep = copy.deepcopy(nested)
deep["a"].append(99)
print(nested, deep)
