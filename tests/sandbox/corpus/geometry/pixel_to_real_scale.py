# category: geometry
# style: qwen
# needs: none
# expect: metres
# assume the car is 4.5 m long and spans 170 px
car_px = 250 - 80
scale = 4.5 / car_px
sign_px = 380 - 320
pole_px = 300 - 210
print(f"scale {scale:.4f} m/px")
print(f"sign width ~ {sign_px * scale:.2f} metres, pole height ~ {pole_px * scale:.2f} metres")
