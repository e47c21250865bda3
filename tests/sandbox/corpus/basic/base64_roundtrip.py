# category: basic
# style: gpt4
# needs: image
# expect: decoded size
import io
import base64
from PIL import Image

# Encode the crop as base64 PNG (the way it would be sent to an API) and decode it again
crop = image_clue_0.crop((80, 210, 250, 280))
buffer = io.BytesIO()
crop.save(buffer, format="PNG")
encoded = base64.b64encode(buffer.getvalue()).decode("utf-8")
print("base64 length:", len(encoded))
decoded = Image.open(io.BytesIO(base64.b64decode(encoded)))
print("decoded size:", decoded.size, decoded.mode)
