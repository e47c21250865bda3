# category: geometry
# style: claude
# needs: image
# expect: Rotated corners
import numpy as np

w, h = image_clue_0.size
theta = np.radians(30)
R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=float) - [w / 2, h / 2]
rotated = corners @ R.T + [w / 2, h / 2]
print("Rotated corners:")
for c in rotated:
    print(f"  ({c[0]:.1f}, {c[1]:.1f})")
span = rotated.max(axis=0) - rotated.min(axis=0)
print(f"Bounding size after rotation: {span[0]:.0f} x {span[1]:.0f}")
