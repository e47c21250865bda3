# category: python
# style: gpt4
# needs: image
# expect: took
import time
import functools

def timed(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        print(f"{fn.__name__} took {time.perf_counter() - start:.4f}s")
        return result
    return wrapper

@timed
def grayscale_mean(img):
    return sum(img.convert("L").getdata()) / (img.width * img.height)

print(f"mean = {grayscale_mean(image_clue_0):.2f}")
