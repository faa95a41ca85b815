#!/usr/bin/env python3
"""Draws docs/faces/glasses.png, the README's example overlay for `impasto apply --overlay`: round sunglasses and a
moustache on a transparent 400×400 canvas, eyes at (35 %, 42 %) and (65 %, 42 %), the nose tip at (50 %, 62 %), the
anchors FaceOverlay assumes. Run: scripts/dev-python.sh scripts/make-overlay-mask.py   (Pillow)
"""
import os

from PIL import Image, ImageDraw

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
size = 400
canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
draw = ImageDraw.Draw(canvas)
for cx in (0.35 * size, 0.65 * size):
    cy, r = 0.42 * size, 0.11 * size
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(20, 20, 30, 235), outline=(200, 160, 40, 255), width=8)
draw.line((0.35 * size + 0.11 * size, 0.42 * size, 0.65 * size - 0.11 * size, 0.42 * size), fill=(200, 160, 40, 255), width=8)
draw.chord((0.36 * size, 0.64 * size, 0.64 * size, 0.78 * size), 180, 360, fill=(60, 35, 20, 255))
os.makedirs(os.path.join(ROOT, "docs/faces"), exist_ok=True)
canvas.save(os.path.join(ROOT, "docs/faces/glasses.png"))
