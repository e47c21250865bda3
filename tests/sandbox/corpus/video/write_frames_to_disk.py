# category: video
# style: qwen
# needs: video
# expect: written
# exception: file: writes sampled frames as JPEG files and reads them back with cv2.imread
import os
import cv2
import numpy as np

os.makedirs("frames", exist_ok=True)
vr = video_clue_0
for i in range(0, len(vr), 16):
    cv2.imwrite(os.path.join("frames", f"frame_{i:04d}.jpg"), cv2.cvtColor(vr[i].asnumpy(), cv2.COLOR_RGB2BGR))
files = sorted(os.listdir("frames"))
print("written", files)
first = cv2.imread(os.path.join("frames", files[0]))
print(first.shape)
