# category: basic
# style: claude
# needs: image
# expect: Mode: RGB
print(f"Size: {image_clue_0.size}")
print(f"Mode: {image_clue_0.mode}")
print(f"Width x Height: {image_clue_0.width} x {image_clue_0.height}")
extrema = image_clue_0.getextrema()
for name, (lo, hi) in zip("RGB", extrema):
    print(f"{name}: min={lo}, max={hi}")
print("Bands:", image_clue_0.getbands())
