# category: python
# style: gpt4
# needs: image
# expect: loaded back
# exception: file: writes the measurements to a JSON file and reads the file back
import json
import os

measurements = {"size": list(image_clue_0.size), "mode": image_clue_0.mode}
path = os.path.join(".", "measurements.json")
with open(path, "w") as f:
    json.dump(measurements, f, indent=2)
with open(path) as f:
    data = json.load(f)
print("loaded back:", data)
print(os.listdir("."))
