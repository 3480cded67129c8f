"""Listing photos for the labelled set, made on demand from a short spec (deterministic).

A spec is ``source|step|step…``:

* sources: ``official:<brand>/<file>`` (the brand's own photo, as a seller would save it),
  ``logo:<brand>``, ``lookalike:<brand>:<line>:<seed>`` (another seller's photo of the same product
  line: same colours and shape, a different picture), ``other:<kind>:<seed>`` (some other product);
* steps: ``resize:W``, ``q:Q`` (JPEG quality of the saved file), ``crop:L,T,R,B`` (fractions cut off
  each edge), ``band:H`` (a coloured text band of height H across the bottom), ``wm`` (a tiled
  semi-transparent watermark), ``bright:F`` (brightness ×F), ``contrast:F``, ``mirror`` (flipped).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps

from markwatch.brand import BRANDS_DIR
from sandbox.imagegen import official_style, product_photo, random_style


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _source(source: str) -> Image.Image:
    kind, _, rest = source.partition(":")
    if kind == "official":
        return Image.open(BRANDS_DIR / "images" / rest).convert("RGB")
    if kind == "logo":
        return Image.open(BRANDS_DIR / "images" / rest / "logo.png").convert("RGB")
    if kind == "lookalike":
        brand, line, seed = rest.split(":")
        return product_photo(official_style(brand, int(line)), seed=f"lookalike-{brand}-{line}-{seed}")
    if kind == "other":
        what, seed = rest.split(":")
        return product_photo(random_style(f"other-{seed}", kind=what), seed=f"other-{what}-{seed}")
    raise ValueError(f"unknown photo source {source!r}")


def _step(img: Image.Image, step: str) -> tuple[Image.Image, int | None]:
    name, _, arg = step.partition(":")
    w, h = img.size
    if name == "resize":
        size = int(arg)
        return img.resize((size, round(size * h / w)), Image.Resampling.LANCZOS), None
    if name == "q":
        return img, int(arg)
    if name == "crop":
        left, top, right, bottom = (float(x) for x in arg.split(","))
        return img.crop(
            (round(w * left), round(h * top), round(w * (1 - right)), round(h * (1 - bottom)))
        ), None
    if name == "band":
        frac = float(arg)
        img = img.copy()
        draw = ImageDraw.Draw(img)
        y = round(h * (1 - frac))
        draw.rectangle((0, y, w, h), fill=(196, 22, 28))
        draw.text(
            (w // 2, y + round(h * frac / 2)),
            "包邮 特价 SALE 限时",
            fill=(255, 255, 255),
            font=_font(max(12, round(h * frac * 0.5))),
            anchor="mm",
        )
        return img, None
    if name == "wm":
        layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        for k in range(-2, 8):
            draw.text(
                (k * w // 6, k * h // 7), "店铺水印 shop88 ", fill=(255, 255, 255, 110), font=_font(w // 18)
            )
        return Image.alpha_composite(img.convert("RGBA"), layer).convert("RGB"), None
    if name == "bright":
        return ImageEnhance.Brightness(img).enhance(float(arg)), None
    if name == "contrast":
        return ImageEnhance.Contrast(img).enhance(float(arg)), None
    if name == "mirror":
        return ImageOps.mirror(img), None
    raise ValueError(f"unknown photo step {step!r}")


def make_photo(spec: str, folder: Path) -> Path:
    """The photo for ``spec`` as a JPEG under ``folder`` (made once; the name is a digest of the spec)."""
    path = folder / (hashlib.sha1(spec.encode()).hexdigest()[:16] + ".jpg")
    if path.exists():
        return path
    source, *steps = spec.split("|")
    img = _source(source)
    quality = 88
    for step in steps:
        img, q = _step(img, step)
        quality = q if q is not None else quality
    folder.mkdir(parents=True, exist_ok=True)
    img.convert("RGB").save(path, format="JPEG", quality=quality)
    return path
