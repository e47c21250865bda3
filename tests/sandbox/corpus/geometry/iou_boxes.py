# category: geometry
# style: qwen
# needs: none
# expect: IoU
def iou(a, b):
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, x2 - x1) * max(0, y2 - y1)
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])
    return inter / (area(a) + area(b) - inter)

pred = (75, 205, 255, 285)
gt = (80, 210, 250, 280)
print(f"IoU: {iou(pred, gt):.3f}")
