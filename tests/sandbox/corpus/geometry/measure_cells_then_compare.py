# category: geometry
# style: qwen
# needs: image
# expect: ratio
import numpy as np
arr = np.array(image_clue_0).astype(int)
red = (arr[..., 0] > 150) & (arr[..., 1] < 80) & (arr[..., 2] < 80)
ys, xs = np.nonzero(red)
car_w = xs.max() - xs.min() + 1
print("car width", car_w)
# %%
blue = (arr[..., 2] > 150) & (arr[..., 0] < 80)
ys2, xs2 = np.nonzero(blue)
sign_w = xs2.max() - xs2.min() + 1
print("sign width", sign_w)
# %%
print("ratio", round(car_w / sign_w, 2))
