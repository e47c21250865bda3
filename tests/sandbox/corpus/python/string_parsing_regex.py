# category: python
# style: gpt4
# needs: none
# expect: parsed
import re
import json
import string

answer_text = "The car is at (80, 210)-(250, 280); the sign at (320,150)-(380,210). Confidence: 0.87"
boxes = [tuple(map(int, m)) for m in re.findall(r"\((\d+),\s*(\d+)\)-\((\d+),\s*(\d+)\)", answer_text)]
conf = float(re.search(r"Confidence:\s*([\d.]+)", answer_text).group(1))
result = {"boxes": boxes, "confidence": conf}
print("parsed", json.dumps(result))
print(string.ascii_uppercase[:5], "".join(ch for ch in answer_text if ch in string.digits)[:10])
