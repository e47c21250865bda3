# category: colour
# style: gpt4
# needs: image
# expect: Most common
# Quantise to a small palette and count colours with PIL
q = image_clue_0.quantize(colors=8)
palette = q.getpalette()[: 8 * 3]
counts = sorted(q.getcolors(), reverse=True)
print("Most common palette colours:")
for count, idx in counts:
    rgb = tuple(palette[idx * 3: idx * 3 + 3])
    print(f"  {rgb}: {count} px ({count / (q.width * q.height):.1%})")
