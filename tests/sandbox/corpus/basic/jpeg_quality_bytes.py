# category: basic
# style: claude
# needs: image
# expect: quality
import io

sizes = {}
for quality in (95, 75, 50, 20):
    buf = io.BytesIO()
    image_clue_0.save(buf, format="JPEG", quality=quality)
    sizes[quality] = buf.tell()

for q, n in sizes.items():
    print(f"quality {q:>3}: {n / 1024:.1f} KiB")
