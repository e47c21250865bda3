# category: python
# style: claude
# needs: none
# expect: exited cleanly
class Step:
    """Prints when an analysis step starts and ends, even if it fails."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        print(f"-> {self.name}")
        return self

    def __exit__(self, exc_type, exc, tb):
        status = "failed" if exc_type else "exited cleanly"
        print(f"<- {self.name} {status}")
        return exc_type is ZeroDivisionError

with Step("measure"):
    total = sum(range(10))
with Step("divide"):
    ratio = 1 / 0
print("after the with blocks, total =", total)
