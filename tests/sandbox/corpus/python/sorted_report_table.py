# category: python
# style: gpt4
# needs: none
# expect: | car
rows = [
    {"object": "car", "x": 80, "y": 210, "w": 170, "h": 70},
    {"object": "sign", "x": 320, "y": 150, "w": 60, "h": 60},
    {"object": "sun", "x": 400, "y": 30, "w": 70, "h": 70},
]
for r in rows:
    r["area"] = r["w"] * r["h"]
rows.sort(key=lambda r: (-r["area"], r["object"]))
header = f"| {'object':<8} | {'x':>4} | {'y':>4} | {'area':>6} |"
print(header)
print("|" + "-" * (len(header) - 2) + "|")
for r in rows:
    print(f"| {r['object']:<8} | {r['x']:>4} | {r['y']:>4} | {r['area']:>6} |")
total = sum(r["area"] for r in rows)
print(f"total area: {total}; largest: {rows[0]['object']}; any small? {any(r['area'] < 5000 for r in rows)}")
