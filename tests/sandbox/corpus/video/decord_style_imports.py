# category: video
# style: qwen
# needs: video
# expect: shape
from decord import VideoReader, cpu
import numpy as np

vr = video_clue_0
print(type(vr).__name__, len(vr))
frame = vr[0].asnumpy()
print("shape", frame.shape, frame.dtype)
print("fps", vr.get_avg_fps())
