# category: video
# style: claude
# needs: video
# expect: timestamps
vr = video_clue_0
ts = vr.get_frame_timestamp(range(0, len(vr), 16))
print("timestamps (start, end) in seconds:")
for i, (start, end) in zip(range(0, len(vr), 16), ts):
    print(f"  frame {i:3d}: {start:.3f} - {end:.3f}")
