# category: colour
# style: claude
# needs: none
# expect: #ff6347
import matplotlib.colors as mcolors

for name in ["tomato", "steelblue", "gold"]:
    rgb = mcolors.to_rgb(name)
    print(f"{name}: rgb={tuple(round(c, 3) for c in rgb)}, hex={mcolors.to_hex(rgb)}")
norm = mcolors.Normalize(vmin=0, vmax=255)
print("normalised 128 ->", round(float(norm(128)), 3))
