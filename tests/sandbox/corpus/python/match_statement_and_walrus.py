# category: python
# style: qwen
# needs: image
# expect: landscape
def orientation(size):
    match size:
        case (w, h) if w > h:
            return "landscape"
        case (w, h) if w < h:
            return "portrait"
        case _:
            return "square"

print(orientation(image_clue_0.size))
if (n := len(image_clue_0.getbands())) == 3:
    print("bands:", n)
