# category: prompting
# style: claude
# needs: image
# figures: 1
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

fig, ax = plt.subplots(figsize=(9, 6))
ax.imshow(image_clue_0)
horizon = 250
ax.axhline(horizon, color='white', linestyle='--', linewidth=1.5, label=f'horizon y={horizon}')
ax.axvline(350, color='cyan', linestyle=':', linewidth=1.5, label='sign post x=350')
ax.add_line(Line2D([80, 250], [280, 280], color='red', linewidth=2, label='car base'))
ax.legend(loc='lower right', fontsize=9)
ax.axis('off')
plt.show()
