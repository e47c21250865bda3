# category: basic
# style: qwen
# needs: image
# expect: zoom factor
# figures: 2
import matplotlib.pyplot as plt
image = image_clue_0
w, h = image.size
print(w, h)
# %%
box = (int(w * 0.6), int(h * 0.35), int(w * 0.78), int(h * 0.58))
crop = image.crop(box)
plt.imshow(crop)
plt.axis('off')
plt.show()
# %%
big = crop.resize((crop.width * 4, crop.height * 4))
print("zoom factor", big.width / crop.width)
plt.imshow(big)
plt.axis('off')
plt.show()
