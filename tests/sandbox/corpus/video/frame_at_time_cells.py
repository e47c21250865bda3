# category: video
# style: qwen
# needs: video
# expect: frame index
# figures: 1
vr = video_clue_0
fps = vr.get_avg_fps()
print(len(vr), fps)
# %%
t = 5.5
i = int(round(t * fps))
print("frame index", i)
import matplotlib.pyplot as plt
plt.imshow(vr[i].asnumpy())
plt.title(f"t={t}s")
plt.axis("off")
plt.show()
