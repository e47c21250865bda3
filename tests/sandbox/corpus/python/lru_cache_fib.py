# category: python
# style: claude
# needs: none
# expect: fib(80)
from functools import lru_cache, reduce
import operator

@lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

print(f"fib(80) = {fib(80)}")
print("product 1..10 =", reduce(operator.mul, range(1, 11)))
print("cache:", fib.cache_info().hits, "hits")
