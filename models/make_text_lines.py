"""Writes rendered text-line images for the int8-against-float comparison of the PP-OCR text-direction classifier
(QuantizedDevModelTests; docs/compression.md).

    /usr/bin/python3 models/make_text_lines.py

Each line is drawn with Pillow in a DejaVu font (Debian's fonts-dejavu-core) in dark ink on a light, slightly uneven
background, cropped to the text with a margin, blurred a little (as a camera crop is), and prepared as PaddleOCR
prepares a crop for its classifier: resized to height 48 keeping the aspect ratio (width at most 192), the rest of the
192 columns left as padding. Half of the compared lines are turned by 180 degrees, the case the classifier exists for.

    text_lines.npy          uint8 [16, 48, 192] grey levels; lines 0-7 are compared, 8-15 calibrate
    text_lines_widths.npy   int32 [16]  the columns that hold the line; PaddleOCR's padding (0 after its
                                        normalisation (v / 255 - 0.5) / 0.5) fills the rest
    text_lines_flipped.npy  uint8 [16]  1 where the line is upside down

Grey, because the lines are: the tests give the classifier the same level in its three channels. Deterministic for a
given Pillow and font version.
"""
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = "/usr/share/fonts/truetype/dejavu/"
LINES = [
    # compared (0-7)
    ("Invoice No. 2024-0173", "DejaVuSans.ttf", False),
    ("Total due: 1,284.50 EUR", "DejaVuSerif.ttf", True),
    ("Keep refrigerated below 5 C", "DejaVuSans-Bold.ttf", False),
    ("EXIT 12B", "DejaVuSansCondensed.ttf", True),
    ("Batch A7-99", "DejaVuSansMono.ttf", False),
    ("Thank you for shopping", "DejaVuSerif-Bold.ttf", True),
    ("Tel 555-0199", "DejaVuSans.ttf", False),
    ("Platform 3  Departures", "DejaVuSans-Bold.ttf", True),
    # calibration (8-15)
    ("Serial 55-AX-1029", "DejaVuSansMono.ttf", False),
    ("Best before end", "DejaVuSerif.ttf", True),
    ("Open 9:00 - 18:00", "DejaVuSans.ttf", False),
    ("Room 214", "DejaVuSansCondensed.ttf", True),
    ("Subtotal", "DejaVuSans-Bold.ttf", False),
    ("Handle with care", "DejaVuSerif-Bold.ttf", True),
    ("Order #77120 shipped", "DejaVuSans.ttf", False),
    ("No parking any time", "DejaVuSansMono.ttf", True),
]


def render(text, font_file, flipped, rng):
    font = ImageFont.truetype(os.path.join(FONTS, font_file), 40)
    left, top, right, bottom = font.getbbox(text)
    margin_x, margin_y = 8, 16
    width, height = right - left + 2 * margin_x, bottom - top + 2 * margin_y
    paper = int(rng.integers(200, 246))
    ink = int(rng.integers(10, 70))
    # A gentle left-to-right shading of the paper, as in a photographed label.
    shade = np.linspace(0, rng.integers(-20, 20), width)[None, :].repeat(height, axis=0)
    image = Image.fromarray(np.clip(paper + shade, 0, 255).astype(np.uint8), mode="L")
    ImageDraw.Draw(image).text((margin_x - left, margin_y - top), text, font=font, fill=ink)
    image = image.filter(ImageFilter.GaussianBlur(0.8))
    if flipped:
        image = image.rotate(180)
    # PaddleOCR's resize for the classifier: height 48, width ceil(48 * w / h) capped at 192.
    resized_width = min(192, int(np.ceil(48 * width / height)))
    image = image.resize((resized_width, 48), Image.BILINEAR)
    line = np.zeros((48, 192), dtype=np.uint8)
    line[:, :resized_width] = np.asarray(image, dtype=np.uint8)
    return line, resized_width


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    rng = np.random.default_rng(20261203)
    lines, widths, flips = [], [], []
    for text, font, flipped in LINES:
        line, width = render(text, font, flipped, rng)
        lines.append(line)
        widths.append(width)
        flips.append(1 if flipped else 0)
        print("%-28s %-26s %s width %d" % (text, font, "flipped" if flipped else "upright", width))
    np.save(os.path.join(here, "text_lines.npy"), np.stack(lines))
    np.save(os.path.join(here, "text_lines_widths.npy"), np.array(widths, dtype=np.int32))
    np.save(os.path.join(here, "text_lines_flipped.npy"), np.array(flips, dtype=np.uint8))


if __name__ == "__main__":
    main()
