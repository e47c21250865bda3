# category: numeric
# style: claude
# needs: image
# expect: R^2
import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score

gray = np.asarray(image_clue_0.convert("L"), dtype=float)[:240]
y = gray.mean(axis=1)
X = np.arange(len(y)).reshape(-1, 1)
model = LinearRegression().fit(X, y)
pred = model.predict(X)
print(f"coefficient {model.coef_[0]:.4f}, intercept {model.intercept_:.2f}, R^2 = {r2_score(y, pred):.3f}")
