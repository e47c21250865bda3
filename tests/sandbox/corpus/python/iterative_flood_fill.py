# category: python
# style: qwen
# needs: image
# expect: region size
small = image_clue_0.resize((128, 96))
px = small.load()
w, h = small.size

def similar(a, b, tol=40):
    return all(abs(x - y) <= tol for x, y in zip(a, b))

seed = (41, 61)
target = px[seed]
seen = {seed}
stack = [seed]
while stack:
    x, y = stack.pop()
    for nx, ny in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
        if 0 <= nx < w and 0 <= ny < h and (nx, ny) not in seen and similar(px[nx, ny], target):
            seen.add((nx, ny))
            stack.append((nx, ny))
print("seed colour", target, "region size", len(seen))
