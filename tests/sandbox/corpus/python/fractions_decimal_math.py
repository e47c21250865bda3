# category: python
# style: gpt4
# needs: image
# expect: aspect ratio
from fractions import Fraction
from decimal import Decimal, ROUND_HALF_UP
import math

w, h = image_clue_0.size
ratio = Fraction(w, h)
print(f"aspect ratio {ratio} ({float(ratio):.4f})")
print("gcd", math.gcd(w, h), "lcm", math.lcm(w, h))
price = Decimal("19.995").quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
print("rounded", price, "isclose", math.isclose(0.1 + 0.2, 0.3))
