"""Photos for the demo lots, drawn with Pillow (nothing is downloaded): building facades under a sky,
rooms, shop fronts, office towers, cars, certificates, jewellery, cranes, wine, a garage and a
warehouse. Each picture is seeded from its lot and position, so the demo is identical every time."""

from __future__ import annotations

import io
import math
import random
import zlib
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFilter, ImageFont

W, H = 800, 600
RGB = tuple[int, int, int]
Box = tuple[float, float, float, float]


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def _shade(c: RGB, factor: float) -> RGB:
    return (min(255, round(c[0] * factor)), min(255, round(c[1] * factor)), min(255, round(c[2] * factor)))


def _jitter(rng: random.Random, c: RGB, spread: int = 12) -> RGB:
    r, g, b = (max(0, min(255, v + rng.randint(-spread, spread))) for v in c)
    return (r, g, b)


def _vgradient(d: ImageDraw.ImageDraw, box: Box, top: RGB, bottom: RGB) -> None:
    x0, y0, x1, y1 = (round(v) for v in box)
    span = max(1, y1 - y0)
    for y in range(y0, y1):
        d.line([(x0, y), (x1, y)], fill=_mix(top, bottom, (y - y0) / span))


def _sky(d: ImageDraw.ImageDraw, rng: random.Random, horizon: int, evening: bool = False) -> None:
    top, bottom = ((52, 84, 148), (236, 176, 128)) if evening else ((70, 130, 200), (200, 225, 245))
    _vgradient(d, (0, 0, W, horizon), top, bottom)
    for _ in range(rng.randint(2, 4)):  # soft clouds
        cx, cy, r = rng.randint(0, W), rng.randint(20, horizon // 2), rng.randint(25, 45)
        for k in range(5):
            ox, oy = cx + k * r * 0.7, cy + rng.randint(-8, 8)
            d.ellipse([ox - r, oy - r * 0.6, ox + r, oy + r * 0.6], fill=_mix(bottom, (255, 255, 255), 0.7))


def _tree(d: ImageDraw.ImageDraw, rng: random.Random, x: float, ground: float, size: float) -> None:
    d.rectangle([x - size * 0.08, ground - size * 0.6, x + size * 0.08, ground], fill=(92, 64, 44))
    green = _jitter(rng, (58, 118, 58), 18)
    for k in range(4):
        r = size * (0.45 - k * 0.06)
        cy = ground - size * (0.75 + k * 0.22)
        d.ellipse([x - r, cy - r, x + r, cy + r], fill=_shade(green, 0.85 + k * 0.08))


def _windows(d: ImageDraw.ImageDraw, rng: random.Random, box: Box, rows: int, cols: int, frame: RGB,
             glass: RGB, balcony: bool = False) -> None:
    x0, y0, x1, y1 = box
    cw, rh = (x1 - x0) / cols, (y1 - y0) / rows
    for r in range(rows):
        for c in range(cols):
            wx, wy = x0 + c * cw + cw * 0.18, y0 + r * rh + rh * 0.2
            ww, wh = cw * 0.64, rh * 0.55
            pane = _jitter(rng, glass, 10)
            if rng.random() < 0.18:
                pane = _jitter(rng, (236, 214, 160), 12)  # curtains drawn or a lamp on
            d.rectangle([wx - 2, wy - 2, wx + ww + 2, wy + wh + 2], fill=frame)
            d.rectangle([wx, wy, wx + ww, wy + wh], fill=pane)
            d.line([(wx + ww / 2, wy), (wx + ww / 2, wy + wh)], fill=frame, width=2)
            d.line([(wx, wy + wh * 0.3), (wx + ww, wy + wh * 0.3)], fill=frame, width=1)
        if balcony:
            by = y0 + (r + 1) * rh - rh * 0.12
            d.rectangle([x0, by, x1, by + 4], fill=_shade(frame, 1.1))


def residential(rng: random.Random, variant: int) -> Image.Image:
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    horizon = 470
    _sky(d, rng, horizon, evening=variant == 2)
    for _ in range(6):  # the city behind
        x = rng.randint(-40, W)
        w, h = rng.randint(60, 130), rng.randint(120, 260)
        d.rectangle([x, horizon - h, x + w, horizon], fill=_jitter(rng, (150, 165, 185), 10))
    palettes = [((222, 206, 178), (120, 104, 88)), ((196, 120, 96), (236, 228, 214)), ((232, 232, 226), (90, 96, 110))]
    wall, frame = palettes[variant % 3]
    towers = [(90, 70, 360), (430, 130, 320)] if variant != 1 else [(150, 150, 500)]
    for x, top, width in towers:
        d.rectangle([x, top, x + width, horizon], fill=wall)
        d.rectangle([x + width - 18, top, x + width, horizon], fill=_shade(wall, 0.82))  # side in shade
        d.rectangle([x - 6, top - 14, x + width + 6, top], fill=_shade(wall, 0.7))
        d.rectangle([x + width * 0.4, top - 40, x + width * 0.6, top - 14], fill=_shade(wall, 0.9))
        rows = max(6, (horizon - top - 20) // 34)
        _windows(d, rng, (x + 10, top + 10, x + width - 24, horizon - 20), rows, max(4, width // 48), frame,
                 (120, 160, 200), balcony=True)
    d.rectangle([0, horizon, W, H], fill=(118, 150, 92))
    d.polygon([(0, 540), (W, 520), (W, 600), (0, 600)], fill=(96, 96, 100))
    for x in range(0, W, 90):
        d.line([(x, 556 - x * 0.02), (x + 45, 555 - x * 0.02)], fill=(230, 230, 230), width=3)
    for x in range(20, W, rng.randint(110, 150)):
        _tree(d, rng, x + rng.randint(-15, 15), horizon + 40, rng.randint(70, 110))
    return img


ROOMS = [  # wall, floor, furniture colour, kind
    ((232, 226, 214), (176, 130, 90), (110, 120, 140), "sofa"),
    ((220, 228, 232), (190, 150, 110), (200, 170, 150), "bed"),
    ((214, 198, 170), (120, 90, 70), (150, 60, 50), "restaurant"),
    ((236, 238, 240), (170, 172, 176), (80, 84, 92), "empty"),
    ((240, 232, 220), (160, 120, 84), (90, 110, 90), "sofa"),
    ((226, 220, 206), (184, 140, 96), (160, 120, 100), "sofa"),
    ((230, 226, 236), (200, 160, 120), (120, 140, 170), "bed"),
    ((238, 240, 242), (150, 156, 162), (70, 80, 96), "desks"),
]


def interior(rng: random.Random, variant: int) -> Image.Image:
    wall, floor, furniture, kind = ROOMS[variant % len(ROOMS)]
    img = Image.new("RGB", (W, H), wall)
    d = ImageDraw.Draw(img)
    bx0, by0, bx1, by1 = 180, 110, 620, 380  # back wall
    d.polygon([(0, 0), (W, 0), (bx1, by0), (bx0, by0)], fill=_shade(wall, 1.04))  # ceiling
    d.polygon([(0, 0), (bx0, by0), (bx0, by1), (0, H)], fill=_shade(wall, 0.86))  # left wall
    d.polygon([(W, 0), (bx1, by0), (bx1, by1), (W, H)], fill=_shade(wall, 0.92))  # right wall
    d.polygon([(bx0, by1), (bx1, by1), (W, H), (0, H)], fill=floor)
    vx = (bx0 + bx1) / 2
    for k in range(-8, 9):  # floor boards towards the vanishing point
        d.line([(vx + k * 27, by1), (W / 2 + k * 100, H)], fill=_shade(floor, 0.86), width=2)
    d.rectangle([bx0 + 120, by0 + 40, bx1 - 120, by0 + 190], fill=(250, 250, 250))
    _vgradient(d, (bx0 + 128, by0 + 48, bx1 - 128, by0 + 182), (110, 160, 215), (205, 228, 245))
    d.line([(vx, by0 + 48), (vx, by0 + 182)], fill=(250, 250, 250), width=5)
    d.ellipse([vx - 50, 8, vx + 50, 30], fill=(252, 248, 230))  # ceiling lamp
    if kind == "sofa":
        d.rounded_rectangle([230, 300, 570, 420], 18, fill=furniture)
        d.rounded_rectangle([215, 330, 260, 430], 14, fill=_shade(furniture, 0.85))
        d.rounded_rectangle([540, 330, 585, 430], 14, fill=_shade(furniture, 0.85))
        for x in (270, 370, 470):
            d.rounded_rectangle([x, 340, x + 90, 400], 10, fill=_shade(furniture, 1.15))
        d.rectangle([320, 450, 480, 500], fill=(150, 110, 80))
    elif kind == "bed":
        d.rectangle([240, 250, 560, 300], fill=_shade(furniture, 0.7))
        d.rounded_rectangle([230, 300, 570, 470], 12, fill=(245, 245, 240))
        d.rectangle([230, 380, 570, 470], fill=furniture)
        d.rounded_rectangle([260, 310, 380, 350], 10, fill=(252, 252, 252))
        d.rounded_rectangle([420, 310, 540, 350], 10, fill=(252, 252, 252))
    elif kind == "restaurant":
        for cx, cy in ((260, 420), (540, 420), (400, 350)):
            d.ellipse([cx - 70, cy - 18, cx + 70, cy + 18], fill=(240, 236, 226))
            d.rectangle([cx - 6, cy, cx + 6, cy + 70], fill=(60, 50, 40))
            for sx in (-95, 80):
                d.rectangle([cx + sx, cy - 40, cx + sx + 16, cy + 60], fill=furniture)
    elif kind == "desks":
        for row in range(2):
            y = 330 + row * 90
            for x in range(200 - row * 60, 600 + row * 60, 130):
                d.rectangle([x, y, x + 110, y + 14], fill=(220, 214, 200))
                d.rectangle([x + 30, y - 50, x + 80, y - 6], fill=furniture)
                d.line([(x + 8, y + 14), (x + 8, y + 60)], fill=(90, 90, 90), width=4)
                d.line([(x + 102, y + 14), (x + 102, y + 60)], fill=(90, 90, 90), width=4)
    else:
        d.rectangle([bx0 + 30, by1 - 60, bx0 + 80, by1], fill=(210, 210, 206))  # a radiator
    return img


def shopfront(rng: random.Random, variant: int) -> Image.Image:
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    _sky(d, rng, 140)
    d.rectangle([0, 60, W, 470], fill=(200, 190, 176))
    _windows(d, rng, (20, 70, W - 20, 250), 3, 8, (150, 140, 130), (130, 160, 190))
    d.rectangle([0, 250, W, 300], fill=(150, 34, 30))  # sign band
    for x in range(160, 640, 64):
        d.rectangle([x, 262, x + 44, 288], fill=(246, 214, 120))
    d.rectangle([0, 300, W, 470], fill=(60, 60, 64))
    for x in range(20, W - 20, 190):
        _vgradient(d, (x, 312, x + 170, 462), (250, 224, 170), (180, 140, 90))
        d.rectangle([x, 312, x + 170, 462], outline=(40, 40, 44), width=4)
    d.rectangle([350, 330, 450, 470], fill=(70, 90, 110))
    for k in range(12):
        color = (200, 60, 50) if k % 2 == 0 else (240, 240, 236)
        d.polygon([(k * 67, 300), (k * 67 + 67, 300), (k * 67 + 77, 330), (k * 67 + 10, 330)], fill=color)
    d.rectangle([0, 470, W, H], fill=(170, 166, 160))
    for x in range(0, W, 40):
        d.line([(x, 470), (x - 30, H)], fill=(150, 146, 140))
    for x in (60, 740):
        d.rectangle([x - 22, 430, x + 22, 480], fill=(120, 90, 70))
        _tree(d, rng, x, 432, 60)
    return img


def office_tower(rng: random.Random, variant: int) -> Image.Image:
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    horizon = 500
    _sky(d, rng, horizon, evening=variant == 1)
    for _ in range(5):
        x = rng.randint(-50, W)
        top, width = rng.randint(200, 330), rng.randint(70, 140)
        d.rectangle([x, top, x + width, horizon], fill=_jitter(rng, (160, 170, 186), 10))
    glass_top, glass_bottom = [((90, 140, 190), (40, 70, 110)), ((150, 120, 120), (60, 60, 90)),
                               ((110, 160, 170), (40, 80, 90))][variant % 3]
    left, right, top = 250, 560, 40
    _vgradient(d, (left, top, right, horizon), glass_top, glass_bottom)
    d.polygon([(right, top), (right + 70, top + 30), (right + 70, horizon), (right, horizon)],
              fill=_shade(glass_bottom, 0.8))
    for x in range(left, right, 26):
        d.line([(x, top), (x, horizon)], fill=(210, 220, 230), width=2)
    for y in range(top, horizon, 22):
        d.line([(left, y), (right, y)], fill=(200, 210, 220), width=1)
        d.line([(right, y), (right + 70, y + 30 * (1 - (y - top) / (horizon - top)))], fill=(150, 160, 170))
    d.polygon([(left, top + 40), (left + 120, top), (left + 200, top), (left, top + 160)], fill=(200, 220, 240))
    d.rectangle([0, horizon, W, H], fill=(176, 172, 166))
    d.rectangle([left + 100, horizon - 60, right - 100, horizon], fill=(60, 70, 80))
    for x in range(30, W, 120):
        _tree(d, rng, x + rng.randint(-20, 20), horizon + 50, 80)
    return img


CAR_COLOURS: list[RGB] = [(24, 26, 30), (236, 236, 232), (150, 24, 28), (90, 96, 104)]


def _wheel(d: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(20, 20, 22))
    d.ellipse([cx - r * 0.62, cy - r * 0.62, cx + r * 0.62, cy + r * 0.62], fill=(190, 194, 200))
    for k in range(5):
        a = k * 2 * math.pi / 5
        d.line([(cx, cy), (cx + math.cos(a) * r * 0.58, cy + math.sin(a) * r * 0.58)], fill=(120, 124, 130), width=6)
    d.ellipse([cx - r * 0.15, cy - r * 0.15, cx + r * 0.15, cy + r * 0.15], fill=(90, 92, 96))


def _car_scene(d: ImageDraw.ImageDraw, rng: random.Random) -> None:
    _vgradient(d, (0, 0, W, 330), (176, 182, 190), (214, 216, 218))  # a parking garage wall
    for x in range(0, W, 160):
        d.rectangle([x, 0, x + 14, 330], fill=(160, 164, 170))
    _vgradient(d, (0, 330, W, H), (120, 122, 126), (80, 82, 86))
    d.line([(0, 520), (W, 500)], fill=(230, 200, 60), width=6)


def car_side(rng: random.Random, variant: int) -> Image.Image:
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    _car_scene(d, rng)
    body = CAR_COLOURS[variant % len(CAR_COLOURS)]
    d.ellipse([90, 440, 710, 490], fill=(50, 50, 54))  # shadow
    d.rounded_rectangle([90, 330, 710, 450], 40, fill=body)
    d.polygon([(230, 335), (320, 245), (540, 245), (630, 335)], fill=body)
    glass = (70, 90, 110)
    d.polygon([(250, 332), (330, 258), (425, 258), (425, 332)], fill=glass)
    d.polygon([(440, 332), (440, 258), (530, 258), (605, 332)], fill=glass)
    d.line([(432, 250), (432, 440)], fill=_shade(body, 0.6), width=3)
    d.line([(100, 380), (700, 380)], fill=_shade(body, 1.3 if body[0] < 100 else 0.8), width=2)
    d.rectangle([360, 360, 390, 368], fill=(180, 180, 184))
    d.rectangle([500, 360, 530, 368], fill=(180, 180, 184))
    d.rounded_rectangle([690, 360, 712, 385], 6, fill=(240, 236, 200))
    d.rounded_rectangle([88, 360, 104, 385], 6, fill=(190, 40, 40))
    _wheel(d, 230, 450, 58)
    _wheel(d, 570, 450, 58)
    return img


def car_front(rng: random.Random, variant: int) -> Image.Image:
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    _car_scene(d, rng)
    body = CAR_COLOURS[variant % len(CAR_COLOURS)]
    d.ellipse([150, 470, 650, 520], fill=(50, 50, 54))
    d.rectangle([185, 420, 255, 500], fill=(20, 20, 22))
    d.rectangle([545, 420, 615, 500], fill=(20, 20, 22))
    d.rounded_rectangle([160, 300, 640, 470], 36, fill=body)
    d.polygon([(230, 305), (290, 200), (510, 200), (570, 305)], fill=body)
    d.polygon([(250, 298), (300, 212), (500, 212), (550, 298)], fill=(70, 90, 110))
    d.rounded_rectangle([320, 350, 480, 410], 10, fill=(30, 30, 34))
    for y in range(358, 405, 10):
        d.line([(328, y), (472, y)], fill=(150, 150, 156), width=3)
    for x0 in (180, 500):
        d.rounded_rectangle([x0, 330, x0 + 120, 362], 14, fill=(236, 240, 246))
        d.ellipse([x0 + 10, 336, x0 + 40, 356], fill=(255, 255, 240))
    d.rectangle([345, 425, 455, 455], fill=(20, 60, 170))  # number plate
    for x in range(354, 446, 13):
        d.rectangle([x, 431, x + 8, 449], fill=(240, 240, 240))
    d.rectangle([170, 450, 630, 470], fill=_shade(body, 0.7))
    return img


def certificate(rng: random.Random, variant: int) -> Image.Image:
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    _vgradient(d, (0, 0, W, H), (140, 100, 70), (96, 66, 44))  # a desk
    for y in range(0, H, 7):
        d.line([(0, y), (W, y + rng.randint(-3, 3))], fill=(110, 78, 52))
    d.rectangle([126, 46, 686, 574], fill=(60, 40, 28))  # shadow of the paper
    d.rectangle([110, 30, 670, 560], fill=(250, 246, 236))
    border = [(30, 110, 70), (150, 40, 40), (40, 70, 140)][variant % 3]
    d.rectangle([124, 44, 656, 546], outline=border, width=6)
    d.rectangle([134, 54, 646, 536], outline=border, width=2)
    d.rectangle([270, 84, 510, 118], fill=_shade(border, 0.9))  # the title
    y = 150
    if variant == 1:  # a trademark: the mark itself
        d.rectangle([300, 140, 480, 250], outline=(60, 60, 60), width=3)
        d.polygon([(330, 230), (390, 160), (450, 230)], fill=(200, 60, 40))
        d.ellipse([372, 190, 408, 226], fill=(40, 90, 160))
        y = 280
    for k in range(9 if variant != 1 else 6):
        length = rng.randint(260, 440)
        d.rectangle([170, y, 170 + 70, y + 10], fill=(90, 90, 90))
        d.rectangle([260, y, 260 + length - 100, y + 10], fill=(140, 140, 140))
        y += 30 + (k % 3 == 2) * 6
    if variant == 0:  # a licence carries a QR code
        for gx in range(21):
            for gy in range(21):
                if rng.random() < 0.5 or (gx < 7 and gy < 7) or (gx > 13 and gy < 7) or (gx < 7 and gy > 13):
                    d.rectangle([160 + gx * 4, 440 + gy * 4, 163 + gx * 4, 443 + gy * 4], fill=(20, 20, 20))
    cx, cy, r = 540, 460, 62  # the red seal
    red = (214, 40, 40)
    d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=red, width=7)
    star = [(cx + math.cos(math.pi / 2 + k * math.pi / 5) * (24 if k % 2 == 0 else 10),
             cy - math.sin(math.pi / 2 + k * math.pi / 5) * (24 if k % 2 == 0 else 10)) for k in range(10)]
    d.polygon(star, fill=red)
    for k in range(14):
        a = math.pi * (1.15 + k * 0.05)
        x, yy = cx + math.cos(a) * (r - 18), cy + math.sin(a) * (r - 18)
        d.rectangle([x - 4, yy - 4, x + 4, yy + 4], fill=red)
    return img


def jewellery(rng: random.Random, variant: int) -> Image.Image:
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    base = [(30, 60, 50), (40, 30, 60), (70, 20, 30)][variant % 3]
    for r in range(520, 0, -8):  # velvet with a soft spotlight
        d.ellipse([W / 2 - r * 1.3, H / 2 - r, W / 2 + r * 1.3, H / 2 + r], fill=_mix(_shade(base, 2.4), base, r / 520))
    if variant == 0:  # three jade bangles
        for k, (cx, cy) in enumerate(((250, 250), (480, 230), (370, 400))):
            jade = _jitter(rng, (60 + k * 20, 170, 110), 15)
            d.ellipse([cx - 120, cy - 90, cx + 120, cy + 90], fill=jade)
            d.ellipse([cx - 84, cy - 58, cx + 84, cy + 58], fill=_mix(_shade(base, 2), base, 0.4))
            d.arc([cx - 112, cy - 84, cx + 112, cy + 84], 200, 300, fill=_mix(jade, (255, 255, 255), 0.6), width=6)
            d.arc([cx - 104, cy - 76, cx + 104, cy + 76], 20, 70, fill=_shade(jade, 0.7), width=5)
    elif variant == 1:  # a diamond ring
        gold = (222, 180, 80)
        d.ellipse([260, 240, 540, 480], outline=gold, width=26)
        d.arc([266, 246, 534, 474], 180, 260, fill=(255, 236, 170), width=6)
        gem = [(400, 120), (470, 170), (440, 250), (360, 250), (330, 170)]
        d.polygon(gem, fill=(210, 230, 250))
        for i in range(len(gem)):
            d.line([gem[i], (400, 190)], fill=(150, 180, 220), width=2)
        d.polygon([(330, 170), (400, 120), (400, 190)], fill=(245, 250, 255))
        for sx, sy in ((480, 110), (320, 130), (455, 260)):
            d.line([(sx - 14, sy), (sx + 14, sy)], fill=(255, 255, 255), width=2)
            d.line([(sx, sy - 14), (sx, sy + 14)], fill=(255, 255, 255), width=2)
    else:  # a pearl necklace and gold chains
        for k in range(28):
            a = math.pi * (0.1 + 0.8 * k / 27)
            x, y = 400 + math.cos(a) * 250, 170 + math.sin(a) * 300
            d.ellipse([x - 17, y - 17, x + 17, y + 17], fill=(236, 228, 214))
            d.ellipse([x - 9, y - 11, x + 1, y - 1], fill=(255, 255, 255))
        for k in range(40):
            a = math.pi * (0.15 + 0.7 * k / 39)
            x, y = 400 + math.cos(a) * 170, 160 + math.sin(a) * 190
            d.ellipse([x - 6, y - 4, x + 6, y + 4], outline=(230, 190, 90), width=3)
    return img


def crane(rng: random.Random, variant: int) -> Image.Image:
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    horizon = 470
    _sky(d, rng, horizon)
    d.rectangle([0, horizon, W, H], fill=(150, 130, 100))
    yellow = (232, 180, 40)
    if variant == 0:  # the mast and jib standing
        x0, x1 = 330, 370
        d.line([(x0, 80), (x0, horizon)], fill=yellow, width=6)
        d.line([(x1, 80), (x1, horizon)], fill=yellow, width=6)
        for y in range(80, horizon, 40):
            d.line([(x0, y), (x1, y + 40)], fill=yellow, width=3)
            d.line([(x0, y + 40), (x1, y + 40)], fill=yellow, width=3)
        d.line([(120, 80), (760, 80)], fill=yellow, width=6)
        d.line([(120, 100), (760, 100)], fill=yellow, width=4)
        for x in range(120, 760, 30):
            d.line([(x, 80), (x + 30, 100)], fill=yellow, width=2)
        d.rectangle([130, 100, 200, 150], fill=(150, 150, 150))  # counterweight
        d.rectangle([372, 100, 410, 135], fill=(60, 110, 170))  # cab
        d.line([(350, 80), (350, 30)], fill=yellow, width=6)
        d.line([(350, 30), (120, 80)], fill=(70, 70, 70), width=2)
        d.line([(350, 30), (760, 80)], fill=(70, 70, 70), width=2)
        d.line([(620, 100), (620, 300)], fill=(60, 60, 60), width=2)
        d.rectangle([610, 300, 630, 320], fill=(200, 60, 40))
    else:  # sections lying on the ground
        for k in range(3):
            y = horizon + 20 + k * 38
            d.line([(80 + k * 30, y), (680 + k * 20, y)], fill=yellow, width=6)
            d.line([(80 + k * 30, y + 24), (680 + k * 20, y + 24)], fill=yellow, width=6)
            for x in range(80 + k * 30, 680 + k * 20, 34):
                d.line([(x, y), (x + 34, y + 24)], fill=yellow, width=3)
        d.rectangle([60, 300, 200, horizon], fill=(120, 124, 130))
    for x in range(0, W, 40):  # the site fence
        d.rectangle([x, horizon - 40, x + 36, horizon], fill=(40, 110, 170) if variant == 0 else (200, 200, 196))
    return img


def machine(rng: random.Random, variant: int) -> Image.Image:
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    _sky(d, rng, 420)
    d.rectangle([0, 420, W, H], fill=(140, 126, 104))
    orange = (226, 120, 40)
    d.rectangle([240, 150, 560, 470], fill=orange)
    d.rectangle([262, 172, 538, 448], fill=(90, 96, 104))
    for x in range(262, 538, 16):
        d.line([(x, 172), (x, 448)], fill=(150, 156, 164), width=2)
    for y in range(172, 448, 16):
        d.line([(262, y), (538, y)], fill=(150, 156, 164), width=2)
    for k in range(10):  # warning stripes
        d.polygon([(240 + k * 32, 470), (256 + k * 32, 470), (272 + k * 32, 490), (256 + k * 32, 490)],
                  fill=(20, 20, 20))
    d.rectangle([240, 470, 560, 490], outline=(230, 200, 40), width=3)
    d.rectangle([580, 60, 610, 490], fill=(200, 200, 200))
    for y in range(60, 490, 30):
        d.line([(580, y), (610, y + 30)], fill=(130, 130, 130), width=3)
    d.rectangle([600, 300, 680, 360], fill=(60, 100, 160))
    return img


def wine(rng: random.Random, variant: int) -> Image.Image:
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    _vgradient(d, (0, 0, W, H), (70, 60, 54), (40, 34, 30))
    if variant == 0:  # bottles on shelves
        for row in range(4):
            shelf = 150 + row * 130
            d.rectangle([20, shelf, W - 20, shelf + 12], fill=(150, 110, 70))
            for x in range(40, W - 40, 38):
                glass = _jitter(rng, (40, 70, 40), 12) if rng.random() < 0.7 else _jitter(rng, (90, 20, 30), 12)
                d.rounded_rectangle([x, shelf - 92, x + 28, shelf], 8, fill=glass)
                d.rectangle([x + 9, shelf - 120, x + 19, shelf - 88], fill=glass)
                d.rectangle([x + 9, shelf - 124, x + 19, shelf - 116], fill=(150, 30, 40))
                d.rectangle([x + 3, shelf - 60, x + 25, shelf - 30], fill=(236, 226, 200))
                d.line([(x + 6, shelf - 85), (x + 6, shelf - 20)], fill=_shade(glass, 1.8), width=2)
    else:  # stacked wooden cases
        for row in range(4):
            for col in range(5):
                x, y = 40 + col * 148 + (row % 2) * 20, 440 - row * 120
                wood = _jitter(rng, (196, 150, 96), 14)
                d.rectangle([x, y, x + 140, y + 112], fill=wood, outline=_shade(wood, 0.6), width=3)
                for gy in range(y + 14, y + 112, 14):
                    d.line([(x + 4, gy), (x + 136, gy + rng.randint(-2, 2))], fill=_shade(wood, 0.88))
                d.rectangle([x + 30, y + 36, x + 110, y + 76], outline=(90, 30, 40), width=3)
                d.ellipse([x + 58, y + 44, x + 82, y + 68], outline=(90, 30, 40), width=2)
        d.rectangle([0, 552, W, H], fill=(110, 106, 100))
    return img


def parking(rng: random.Random, variant: int) -> Image.Image:
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    _vgradient(d, (0, 0, W, 220), (90, 94, 100), (130, 134, 140))
    _vgradient(d, (0, 220, W, H), (150, 152, 150), (96, 100, 98))
    for x in range(60, W, 180):
        d.rectangle([x, 40, x + 100, 52], fill=(250, 250, 236))  # strip lights
    vx, vy = W / 2, 220
    for k in range(-6, 7):
        d.line([(vx + k * 40, vy), (vx + k * 180, H)], fill=(236, 236, 236) if variant == 0 else (230, 200, 60),
               width=4)
    d.line([(0, 470), (W, 470)], fill=(236, 236, 236), width=4)
    for x in (90, 650):
        d.rectangle([x, 60, x + 60, 520], fill=(200, 200, 196))
        for k in range(5):
            d.polygon([(x, 440 + k * 16), (x + 60, 424 + k * 16), (x + 60, 432 + k * 16), (x, 448 + k * 16)],
                      fill=(30, 30, 30) if k % 2 else (240, 200, 40))
    font = ImageFont.load_default(size=56)
    d.text((330, 500), "B1-086" if variant == 0 else "B1", fill=(250, 250, 250), font=font)
    return img


def warehouse(rng: random.Random, variant: int) -> Image.Image:
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    _vgradient(d, (0, 0, W, 380), (190, 196, 200), (150, 156, 160))
    _vgradient(d, (0, 380, W, H), (170, 170, 166), (120, 120, 118))
    if variant == 0:  # pallet racks
        for x in range(20, W, 190):
            d.rectangle([x, 60, x + 14, 470], fill=(40, 80, 160))
            d.rectangle([x + 170, 60, x + 184, 470], fill=(40, 80, 160))
            for y in (180, 300, 420):
                d.rectangle([x, y, x + 184, y + 14], fill=(230, 110, 30))
                for bx in range(x + 20, x + 160, 50):
                    h = rng.randint(50, 90)
                    d.rectangle([bx, y - h, bx + 44, y], fill=_jitter(rng, (190, 150, 100), 16), outline=(120, 90, 60))
    else:  # a forklift
        yellow = (236, 190, 30)
        d.rectangle([250, 300, 520, 450], fill=yellow)
        d.rectangle([300, 180, 320, 300], fill=(40, 40, 40))
        d.rectangle([460, 180, 480, 300], fill=(40, 40, 40))
        d.rectangle([300, 176, 480, 190], fill=(40, 40, 40))
        d.rectangle([200, 120, 228, 460], fill=(60, 60, 64))
        d.rectangle([236, 120, 250, 460], fill=(60, 60, 64))
        d.rectangle([100, 430, 250, 444], fill=(80, 80, 84))
        d.rectangle([100, 400, 250, 412], fill=(80, 80, 84))
        d.rectangle([520, 330, 580, 450], fill=_shade(yellow, 0.8))
        for cx in (300, 480):
            d.ellipse([cx - 46, 410, cx + 46, 502], fill=(24, 24, 24))
            d.ellipse([cx - 20, 436, cx + 20, 476], fill=(160, 160, 160))
    return img


DRAWINGS: dict[str, Callable[[random.Random, int], Image.Image]] = {
    "residential": residential, "interior": interior, "shopfront": shopfront, "office_tower": office_tower,
    "car_side": car_side, "car_front": car_front, "certificate": certificate, "jewellery": jewellery,
    "crane": crane, "machine": machine, "wine": wine, "parking": parking, "warehouse": warehouse,
}


def draw(drawing: str, seed: str, variant: int = 0) -> Image.Image:
    """Draw one picture; the same drawing, seed and variant always give the same pixels."""
    rng = random.Random(zlib.crc32(f"{drawing}/{seed}/{variant}".encode()))
    img = DRAWINGS[drawing](rng, variant)
    # Film grain and a slight blur make flat shapes read as a photograph.
    grain = Image.frombytes("L", (W, H), rng.randbytes(W * H)).convert("RGB")
    return Image.blend(img, grain, 0.05).filter(ImageFilter.GaussianBlur(0.8))


def jpeg_bytes(drawing: str, seed: str, variant: int = 0) -> bytes:
    buf = io.BytesIO()
    draw(drawing, seed, variant).save(buf, "JPEG", quality=85)
    return buf.getvalue()
