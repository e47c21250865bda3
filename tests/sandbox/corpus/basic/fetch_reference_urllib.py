# category: basic
# style: claude
# needs: image
# expect: Downloaded
# exception: network: downloads a reference image over HTTP
import io
import urllib.request
from PIL import Image

url = "$LOOPBACK_URL/image.png"
try:
    with urllib.request.urlopen(url, timeout=5) as resp:
        data = resp.read()
    ref = Image.open(io.BytesIO(data)).convert("RGB")
    print(f"Downloaded {len(data)} bytes, reference size {ref.size}")
    same = ref.size == image_clue_0.size
    print("Same size as the input:", same)
except Exception as e:
    print(f"Download failed: {type(e).__name__}: {e}")
