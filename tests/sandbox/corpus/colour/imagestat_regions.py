# category: colour
# style: qwen
# needs: image
# expect: mean
from PIL import ImageStat

for name, box in {"car": (80, 210, 250, 280), "sign": (320, 150, 380, 210), "grass": (300, 300, 500, 380)}.items():
    st = ImageStat.Stat(image_clue_0.crop(box))
    print(name, "mean", [round(v, 1) for v in st.mean], "stddev", [round(v, 1) for v in st.stddev])
