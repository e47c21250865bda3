# category: python
# style: claude
# needs: image
# expect: succeeded
class RegionTooSmall(ValueError):
    """Raised when a requested crop is too small to analyse."""

def analyse(img, box, min_side=20):
    w, h = box[2] - box[0], box[3] - box[1]
    if min(w, h) < min_side:
        raise RegionTooSmall(f"region {box} is only {w}x{h}")
    return img.crop(box).resize((w * 2, h * 2))

box = (340, 170, 350, 180)
for attempt in range(4):
    try:
        out = analyse(image_clue_0, box)
        print(f"attempt {attempt}: succeeded with {box}, result {out.size}")
        break
    except RegionTooSmall as e:
        print(f"attempt {attempt}: {type(e).__name__}: {e}; growing the box")
        box = (box[0] - 10, box[1] - 10, box[2] + 10, box[3] + 10)
    finally:
        pass
