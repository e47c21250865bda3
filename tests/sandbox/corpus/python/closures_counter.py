# category: python
# style: gpt4
# needs: none
# expect: counts: 3
def make_counter():
    count = 0

    def increment(step=1):
        nonlocal count
        count += step
        return count

    return increment

counter = make_counter()
for _ in range(3):
    counter()
print(f"counts: {counter(0)}")

def make_threshold(t):
    return lambda value: value >= t

bright = make_threshold(200)
print([v for v in (10, 150, 220, 255) if bright(v)])
