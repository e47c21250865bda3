# category: geometry
# style: claude
# needs: none
# expect: degrees
import math

def angle_between(p1, p2, p3):
    """Angle at p2 formed by p1-p2-p3, in degrees."""
    v1 = (p1[0] - p2[0], p1[1] - p2[1])
    v2 = (p3[0] - p2[0], p3[1] - p2[1])
    dot = v1[0] * v2[0] + v1[1] * v2[1]
    norm = math.hypot(*v1) * math.hypot(*v2)
    return math.degrees(math.acos(max(-1.0, min(1.0, dot / norm))))

print(f"Angle: {angle_between((80, 280), (165, 210), (250, 280)):.1f} degrees")
print(f"Right angle check: {angle_between((0, 1), (0, 0), (1, 0)):.1f} degrees")
