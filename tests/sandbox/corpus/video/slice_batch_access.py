# category: video
# style: gpt4
# needs: video
# expect: Batch shape
import numpy as np

vr = video_clue_0
batch = vr.get_batch(list(range(0, 16, 2))).asnumpy()
print(f"Batch shape: {batch.shape}, dtype: {batch.dtype}")
last = vr[-1].asnumpy()
print(f"Last frame mean colour: {last.reshape(-1, 3).mean(axis=0).round(1)}")
