# category: python
# style: claude
# needs: none
# expect: crop_car.png
import os

base_dir = "outputs"
names = [os.path.join(base_dir, f"crop_{n}.png") for n in ("car", "sign")]
for p in names:
    stem, ext = os.path.splitext(os.path.basename(p))
    print(p, "->", stem, ext, os.path.dirname(p))
print(os.path.join("a", "b", "c"), os.sep, os.path.normpath("a/./b/../c"))
