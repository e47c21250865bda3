# category: python
# style: qwen
# needs: image
# expect: bright pixels
img = image_clue_0.resize((64, 48))
pixels = list(img.getdata())
bright = [p for p in pixels if sum(p) > 600]
by_row = {y: sum(1 for x in range(img.width) if sum(img.getpixel((x, y))) > 600) for y in range(img.height)}
print("bright pixels:", len(bright))
print("rows with any bright pixel:", [y for y, n in by_row.items() if n])
gen_total = sum(r for r, g, b in pixels)
print("red total", gen_total)
