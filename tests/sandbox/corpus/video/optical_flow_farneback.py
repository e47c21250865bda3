# category: video
# style: gpt4
# needs: video
# expect: dominant motion
import cv2
import numpy as np

vr = video_clue_0
f1 = cv2.cvtColor(vr[8].asnumpy(), cv2.COLOR_RGB2GRAY)
f2 = cv2.cvtColor(vr[12].asnumpy(), cv2.COLOR_RGB2GRAY)
flow = cv2.calcOpticalFlowFarneback(f1, f2, None, 0.5, 3, 15, 3, 5, 1.2, 0)
mag, ang = cv2.cartToPolar(flow[..., 0], flow[..., 1])
moving = mag > 1.0
if moving.any():
    mean_dx = flow[..., 0][moving].mean()
    mean_dy = flow[..., 1][moving].mean()
    print(f"dominant motion: dx={mean_dx:.2f}, dy={mean_dy:.2f} px/frame over {moving.sum()} pixels")
else:
    print("dominant motion: none")
