# category: python
# style: qwen
# needs: image
# expect: tiles
import itertools

def tiles(img, size):
    for y in range(0, img.height, size):
        for x in range(0, img.width, size):
            yield (x, y), img.crop((x, y, min(x + size, img.width), min(y + size, img.height)))

first = list(itertools.islice(tiles(image_clue_0, 128), 3))
print("first tiles", [pos for pos, _ in first])
print("tiles", sum(1 for _ in tiles(image_clue_0, 128)))
