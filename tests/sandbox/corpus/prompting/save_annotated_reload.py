# category: prompting
# style: claude
# needs: image
# expect: Reloaded
# exception: file: saves the annotated image to disk and opens the file again
import os
from PIL import Image, ImageDraw

out_path = os.path.join(os.getcwd(), "annotated_car.png")
annotated = image_clue_0.copy()
ImageDraw.Draw(annotated).rectangle((80, 210, 250, 280), outline="red", width=3)
annotated.save(out_path)
print(f"Saved to {out_path} ({os.path.getsize(out_path)} bytes)")
reloaded = Image.open(out_path)
print(f"Reloaded: {reloaded.size}, {reloaded.mode}")
