# category: colour
# style: gpt4
# needs: image
# expect: Mean colour difference
# exception: network: fetches the comparison image with requests
import io
import requests
import numpy as np
from PIL import Image

response = requests.get("$LOOPBACK_URL/image.png", timeout=10)
response.raise_for_status()
other = Image.open(io.BytesIO(response.content)).convert("RGB")
a = np.asarray(image_clue_0, dtype=float)
b = np.asarray(other.resize(image_clue_0.size), dtype=float)
print(f"Mean colour difference: {np.abs(a - b).mean(axis=(0, 1)).round(2)}")
