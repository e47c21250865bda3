# category: python
# style: claude
# needs: image
# expect: Size
w, h = image_clue_0.size
ratio = w / h
name = "image_clue_0"
print(f"{name!r}: Size {w}x{h} | aspect {ratio:.3f} | {w * h:,} pixels | {ratio:>10.2%}")
print(f"{'left':<10}|{'centre':^10}|{'right':>10}|")
print(f"{w=}, {h=}")
print(f"hex {255:#x}, bin {5:08b}, sci {123456.789:.2e}")
print("old style: %d x %d" % (w, h), "format: {} x {}".format(w, h))
