"""Synthetic product photos and logos, made from a seed — never a real brand's assets.

The example brands' official photos and logos in ``configs/brands/images/`` were made by this module
(``python -m sandbox.imagegen configs/brands/images``); the sandbox uses it for every other seller's
photos, and the tests use it for look-alike distractors. Everything is deterministic in its seed.
"""

from __future__ import annotations

import io
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

SIZE = 800


@dataclass(frozen=True)
class Style:
    """What a product photo shows; two photos of one style look alike but are different pictures."""

    kind: str  # bag | watch | shoe | bottle
    body: tuple[int, int, int]
    accent: tuple[int, int, int]
    background: tuple[int, int, int]
    label: str


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _jitter(rng: random.Random, colour: tuple[int, int, int], amount: int) -> tuple[int, int, int]:
    r, g, b = (max(0, min(255, c + rng.randint(-amount, amount))) for c in colour)
    return (r, g, b)


def random_style(seed: int | str, kind: str | None = None) -> Style:
    rng = random.Random(f"style:{seed}")
    kinds = ["bag", "watch", "shoe", "bottle"]
    return Style(
        kind=kind or rng.choice(kinds),
        body=(rng.randint(20, 235), rng.randint(20, 235), rng.randint(20, 235)),
        accent=(rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)),
        background=(rng.randint(170, 255), rng.randint(170, 255), rng.randint(170, 255)),
        label="".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(rng.randint(4, 7))),
    )


def product_photo(style: Style, seed: int | str, size: int = SIZE) -> Image.Image:
    """One photo of a product of ``style``; ``seed`` varies the pose, lighting and background."""
    rng = random.Random(f"photo:{seed}")
    img = Image.new("RGB", (size, size), _jitter(rng, style.background, 12))
    draw = ImageDraw.Draw(img)
    # background texture: a few soft bands and dots so that photos are not flat
    for _ in range(rng.randint(3, 7)):
        y = rng.randint(0, size)
        h = rng.randint(20, 160)
        draw.rectangle((0, y, size, y + h), fill=_jitter(rng, style.background, 25))
    for _ in range(rng.randint(20, 60)):
        x, y, r = rng.randint(0, size), rng.randint(0, size), rng.randint(2, 14)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_jitter(rng, style.background, 40))
    cx = size // 2 + rng.randint(-size // 12, size // 12)
    cy = size // 2 + rng.randint(-size // 14, size // 14)
    scale = rng.uniform(0.75, 1.0) * size / 800
    body = _jitter(rng, style.body, 10)
    accent = _jitter(rng, style.accent, 10)
    if style.kind == "bag":
        w, h = int(420 * scale), int(330 * scale)
        draw.arc(
            (cx - w // 4, cy - h // 2 - int(170 * scale), cx + w // 4, cy - h // 2 + int(60 * scale)),
            180,
            360,
            fill=accent,
            width=max(4, int(22 * scale)),
        )
        draw.rounded_rectangle(
            (cx - w // 2, cy - h // 2, cx + w // 2, cy + h // 2),
            radius=int(40 * scale),
            fill=body,
            outline=accent,
            width=max(2, int(8 * scale)),
        )
        draw.rectangle((cx - w // 2, cy - h // 6, cx + w // 2, cy - h // 6 + int(18 * scale)), fill=accent)
    elif style.kind == "watch":
        r = int(170 * scale)
        draw.rectangle((cx - r // 2, cy - int(360 * scale), cx + r // 2, cy + int(360 * scale)), fill=accent)
        draw.ellipse(
            (cx - r, cy - r, cx + r, cy + r), fill=body, outline=accent, width=max(3, int(16 * scale))
        )
        for k in range(12):
            a = k * 30
            draw.pieslice((cx - r + 20, cy - r + 20, cx + r - 20, cy + r - 20), a, a + 3, fill=accent)
    elif style.kind == "shoe":
        w, h = int(520 * scale), int(200 * scale)
        draw.chord(
            (cx - w // 2, cy - h, cx + w // 2, cy + h),
            180,
            360,
            fill=body,
            outline=accent,
            width=max(2, int(6 * scale)),
        )
        draw.rectangle((cx - w // 2, cy, cx + w // 2, cy + int(50 * scale)), fill=accent)
    else:  # bottle
        w, h = int(220 * scale), int(420 * scale)
        draw.rectangle((cx - w // 6, cy - h // 2 - int(90 * scale), cx + w // 6, cy - h // 2), fill=accent)
        draw.rounded_rectangle(
            (cx - w // 2, cy - h // 2, cx + w // 2, cy + h // 2),
            radius=int(50 * scale),
            fill=body,
            outline=accent,
            width=max(2, int(6 * scale)),
        )
    # the label on the product
    font = _font(max(12, int(44 * scale)))
    draw.text((cx, cy + int(40 * scale)), style.label, fill=accent, font=font, anchor="mm")
    # a few random highlights so two photos of one style differ
    for _ in range(rng.randint(2, 5)):
        x, y = cx + rng.randint(-200, 200), cy + rng.randint(-160, 160)
        r = rng.randint(8, 30)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_jitter(rng, body, 45))
    img = img.filter(ImageFilter.GaussianBlur(radius=rng.uniform(0.3, 1.2)))
    return ImageEnhance.Brightness(img).enhance(rng.uniform(0.92, 1.08))


def logo(text: str, colour: tuple[int, int, int], size: int = 600, seed: int | str = 0) -> Image.Image:
    """A simple emblem-and-wordmark logo for a fictional brand."""
    rng = random.Random(f"logo:{seed}:{text}")
    img = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    c = size // 2
    r = int(size * 0.32)
    draw.ellipse((c - r, c - r - 60, c + r, c + r - 60), outline=colour, width=18)
    points = [
        (c + int(r * 0.6 * rng.uniform(0.8, 1.0)) * ((-1) ** k), c - 60 + (k - 2) * 40) for k in range(5)
    ]
    draw.line(points, fill=colour, width=22, joint="curve")
    draw.text((c, size - 90), text, fill=colour, font=_font(int(size * 0.11)), anchor="mm")
    return img


def jpeg_bytes(img: Image.Image, quality: int = 88) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


# --- the example brands' own assets ---------------------------------------------------------------

#: (brand, product kind, body colour, accent colour, label) of each brand's official product line.
BRAND_LINES = {
    "veloria": [
        ("bag", (122, 32, 48), (212, 175, 55), "VELORIA"),
        ("bag", (30, 30, 34), (200, 200, 205), "VELORIA"),
        ("shoe", (240, 232, 220), (122, 32, 48), "VELORIA"),
    ],
    "corvane": [
        ("watch", (18, 40, 82), (220, 220, 230), "CORVANE"),
        ("watch", (200, 190, 170), (40, 40, 40), "CORVANE"),
        ("bottle", (30, 90, 60), (230, 210, 150), "CORVANE"),
    ],
}

BRAND_LOGO_COLOURS = {"veloria": (122, 32, 48), "corvane": (18, 40, 82)}


def official_style(brand: str, index: int) -> Style:
    kind, body, accent, label = BRAND_LINES[brand][index]
    return Style(kind=kind, body=body, accent=accent, background=(236, 232, 226), label=label)


def write_brand_assets(out: Path) -> list[Path]:
    """Write each example brand's logo and official product photos under ``out/<brand>/``."""
    written: list[Path] = []
    for brand, lines in BRAND_LINES.items():
        folder = out / brand
        (folder / "official").mkdir(parents=True, exist_ok=True)
        path = folder / "logo.png"
        logo(brand.upper(), BRAND_LOGO_COLOURS[brand], seed=brand).save(path)
        written.append(path)
        for i in range(len(lines)):
            path = folder / "official" / f"{lines[i][0]}-{i + 1}.jpg"
            path.write_bytes(
                jpeg_bytes(product_photo(official_style(brand, i), seed=f"{brand}-official-{i}"), 92)
            )
            written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "configs/brands/images")
    for p in write_brand_assets(target):
        print(p)
