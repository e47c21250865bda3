# category: basic
# style: qwen
# needs: image
# expect: reopened
# exception: file: saves a crop as a PNG file and opens it again from disk
from PIL import Image
crop = image_clue_0.crop((300, 130, 400, 230))
crop.save("crop_sign.png")
img2 = Image.open("crop_sign.png")
print("reopened", img2.size, img2.format)
