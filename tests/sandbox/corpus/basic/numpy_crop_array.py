# category: basic
# style: qwen
# needs: image
# expect: (70, 170, 3)
import numpy as np

img_array = np.array(image_clue_0)
print(img_array.shape, img_array.dtype)
# crop the car region with numpy slicing
car = img_array[210:280, 80:250]
print(car.shape)
print("mean RGB:", car.reshape(-1, 3).mean(axis=0).round(1))
