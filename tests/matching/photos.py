"""Listing photos for the labelled set, made on demand from a short spec (deterministic).

A spec is ``source|step|step…``:

* sources: ``official:<brand>/<file>`` (the brand's own photo, as a seller would save it),
  ``logo:<brand>``, ``lookalike:<brand>:<line>:<seed>`` (another seller's photo of the same product
  line: same colours and shape, a different picture), ``other:<kind>:<seed>`` (some other product);
* steps: ``resize:W``, ``q:Q`` (JPEG quality of the saved file), ``crop:L,T,R,B`` (fractions cut off
  each edge), ``band:H`` (a coloured text band of height H across the bottom), ``wm`` (a tiled
  semi-transparent watermark), ``bright:F`` (brightness ×F), ``contrast:F``, ``mirror`` (flipped),
  ``rotate:D`` (D degrees counter-clockwise, corners filled white), ``collage:N:K`` (tile K, counted
  from 0 row by row, of an N×N collage whose other tiles are other products' photos), ``pad:F`` (the
  photo F of the width of a larger textured canvas, off centre), ``screen`` (inside a phone
  screenshot: status bar, title and price bands), ``bigwm`` (one large watermark across the middle),
  ``text:WORDS`` (a line of text printed on the photo, ``_`` for spaces; for OCR);
* more sources: ``logoon:<logo>:<kind>:<seed>:<F>`` (another product's photo with a logo printed on it
  at F of the width; ``<logo>`` is a brand slug for its logo, or ``foreign-<name>`` for some other
  brand's logo made by :func:`sandbox.imagegen.logo`), ``ref:<folder>/<file>`` (a file under the
  folder the test made its own references in: see :func:`extra_brand_photos`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps

from markwatch.brand import BRANDS_DIR
from sandbox.imagegen import Style, jpeg_bytes, logo, official_style, product_photo, random_style

#: Folder of the references made by :func:`extra_brand_photos` (set by the tests that use them).
EXTRA_DIR: list[Path] = []

#: Two fictional brands that are not the examples, of other goods (references made here, not shipped):
#: slug -> (logo colour, product lines as (kind, body, accent)).
EXTRA_BRANDS: dict[
    str, tuple[tuple[int, int, int], list[tuple[str, tuple[int, int, int], tuple[int, int, int]]]]
] = {
    "nordlys": (
        (20, 110, 140),
        [("shoe", (20, 110, 140), (250, 250, 250)), ("shoe", (235, 90, 40), (30, 30, 30))],
    ),
    "kaimoa": (
        (150, 60, 150),
        [("bottle", (150, 60, 150), (240, 200, 80)), ("bottle", (250, 200, 210), (90, 40, 90))],
    ),
}


def extra_style(brand: str, line: int) -> Style:
    kind, body, accent = EXTRA_BRANDS[brand][1][line]
    return Style(kind=kind, body=body, accent=accent, background=(238, 236, 232), label=brand.upper())


def extra_brand_photos(folder: Path) -> dict[str, dict[str, list[Path]]]:
    """Official photos and a logo for each of :data:`EXTRA_BRANDS` under ``folder/<slug>/``
    (deterministic); returns ``{slug: {"photos": [...], "logo": [...]}}``."""
    out: dict[str, dict[str, list[Path]]] = {}
    for slug, (colour, lines) in EXTRA_BRANDS.items():
        (folder / slug).mkdir(parents=True, exist_ok=True)
        photos = []
        for i in range(len(lines)):
            path = folder / slug / f"{lines[i][0]}-{i + 1}.jpg"
            if not path.exists():
                path.write_bytes(
                    jpeg_bytes(product_photo(extra_style(slug, i), seed=f"{slug}-official-{i}"), 92)
                )
            photos.append(path)
        path = folder / slug / "logo.png"
        if not path.exists():
            logo(slug.upper(), colour, seed=slug).save(path)
        out[slug] = {"photos": photos, "logo": [path]}
    if folder not in EXTRA_DIR:
        EXTRA_DIR[:] = [folder]
    return out


#: Labels that look-alike products carry instead of the brand's name (a look-alike has no logo).
LOOKALIKE_LABELS = ("LUXE", "MODA", "CLASSIC", "STYLE", "NEW")


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
        style = extra_style(brand, int(line)) if brand in EXTRA_BRANDS else official_style(brand, int(line))
        label = LOOKALIKE_LABELS[int(hashlib.sha1(seed.encode()).hexdigest(), 16) % len(LOOKALIKE_LABELS)]
        style = dataclasses.replace(style, label=label)
        return product_photo(style, seed=f"lookalike-{brand}-{line}-{seed}")
    if kind == "ref":
        return Image.open(EXTRA_DIR[0] / rest).convert("RGB")
    if kind == "logoon":
        who, what, seed, frac = rest.split(":")
        return _logo_on(who, what, seed, float(frac))
    if kind == "other":
        what, seed = rest.split(":")
        return product_photo(random_style(f"other-{seed}", kind=what), seed=f"other-{what}-{seed}")
    raise ValueError(f"unknown photo source {source!r}")


def _logo_image(who: str) -> Image.Image:
    if who.startswith("foreign-"):
        name = who[len("foreign-") :]
        return foreign_logo(name)
    if who in EXTRA_BRANDS:
        return Image.open(EXTRA_DIR[0] / who / "logo.png").convert("RGB")
    return Image.open(BRANDS_DIR / "images" / who / "logo.png").convert("RGB")


def foreign_logo(name: str) -> Image.Image:
    """Some other brand's logo: an emblem of another shape (diamond, triangle, square, star) over its
    name, in a colour of its own."""
    rng = random.Random(f"foreign:{name}")
    colour = (rng.randint(0, 160), rng.randint(0, 160), rng.randint(0, 160))
    img = Image.new("RGB", (600, 600), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    c, r = 300, 170
    shape = rng.choice(["diamond", "triangle", "square", "star"])
    if shape == "diamond":
        pts = [(c, c - r - 60), (c + r, c - 60), (c, c + r - 60), (c - r, c - 60)]
    elif shape == "triangle":
        pts = [(c, c - r - 60), (c + r, c + r - 90), (c - r, c + r - 90)]
    elif shape == "square":
        pts = [(c - r, c - r - 40), (c + r, c - r - 40), (c + r, c + r - 80), (c - r, c + r - 80)]
    else:
        pts = [
            (
                c + (r if k % 2 == 0 else r // 2.4) * math.sin(k * math.pi / 5),
                c - 60 - (r if k % 2 == 0 else r // 2.4) * math.cos(k * math.pi / 5),
            )
            for k in range(10)
        ]
    draw.polygon(pts, outline=colour, width=18)
    draw.text((c, c - 60), name[:1].upper(), fill=colour, font=_font(120), anchor="mm")
    draw.text((c, 510), name.upper(), fill=colour, font=_font(66), anchor="mm")
    return img


def _logo_on(who: str, what: str, seed: str, frac: float) -> Image.Image:
    """Another product's photo with ``who``'s logo printed on it (its ink only) at ``frac`` of the width."""
    img = product_photo(random_style(f"carrier-{seed}", kind=what), seed=f"carrier-{what}-{seed}")
    mark = _logo_image(who)
    side = round(img.width * frac)
    mark = mark.resize((side, side), Image.Resampling.LANCZOS)
    ink = ImageOps.invert(mark.convert("L")).point(lambda v: 255 if v > 40 else v * 6)
    rng = random.Random(f"logo-place:{seed}")
    x = rng.randint(img.width // 8, img.width - side - img.width // 8)
    y = rng.randint(img.height // 8, img.height - side - img.height // 8)
    img = img.copy()
    img.paste(mark, (x, y), ink)
    return img


def _filler(seed: str, size: int) -> Image.Image:
    rng = random.Random(seed)
    kind = rng.choice(["bag", "watch", "shoe", "bottle"])
    return product_photo(random_style(seed, kind=kind), seed=seed).resize(
        (size, size), Image.Resampling.BILINEAR
    )


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
    if name == "rotate":
        return img.rotate(float(arg), resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255)), None
    if name == "collage":
        n, k = (int(x) for x in arg.split(":"))
        tile = 800 // n
        canvas = Image.new("RGB", (tile * n, tile * n), (255, 255, 255))
        for i in range(n * n):
            part = (
                img.resize((tile - 4, tile - 4), Image.Resampling.LANCZOS)
                if i == k
                else _filler(f"tile-{arg}-{i}-{w}-{h}", tile - 4)
            )
            canvas.paste(part, ((i % n) * tile + 2, (i // n) * tile + 2))
        return canvas, None
    if name == "pad":
        frac = float(arg)
        canvas = _filler(f"pad-{arg}-{w}", 800).resize((800, 800))
        canvas = ImageEnhance.Brightness(canvas).enhance(1.1)
        side = round(800 * frac)
        rng = random.Random(f"pad:{arg}:{w}:{h}")
        x, y = rng.randint(0, 800 - side), rng.randint(0, 800 - side)
        canvas.paste(img.resize((side, round(side * h / w)), Image.Resampling.LANCZOS), (x, y))
        return canvas, None
    if name == "screen":
        sw, sh = 750, 1334
        canvas = Image.new("RGB", (sw, sh), (245, 245, 245))
        draw = ImageDraw.Draw(canvas)
        draw.rectangle((0, 0, sw, 44), fill=(250, 250, 250))
        draw.text((30, 22), "9:41", fill=(0, 0, 0), font=_font(26), anchor="lm")
        draw.rectangle((sw - 80, 12, sw - 30, 32), outline=(0, 0, 0), width=2)
        draw.rectangle((sw - 78, 14, sw - 45, 30), fill=(0, 0, 0))
        draw.rectangle((0, 44, sw, 130), fill=(255, 80, 0))
        draw.text((sw // 2, 87), "< search results", fill=(255, 255, 255), font=_font(32), anchor="mm")
        canvas.paste(img.resize((sw, round(sw * h / w)), Image.Resampling.LANCZOS), (0, 130))
        y = 130 + round(sw * h / w)
        draw.rectangle((0, y, sw, y + 120), fill=(255, 240, 235))
        draw.text(
            (30, y + 60),
            "CNY 199.00  coupon -50  sold 1000+",
            fill=(230, 30, 30),
            font=_font(36),
            anchor="lm",
        )
        draw.rectangle((0, sh - 110, sw, sh), fill=(255, 255, 255))
        draw.rectangle((sw // 2, sh - 100, sw - 20, sh - 20), fill=(255, 60, 0))
        draw.text((sw * 3 // 4, sh - 60), "BUY NOW", fill=(255, 255, 255), font=_font(36), anchor="mm")
        return canvas, None
    if name == "bigwm":
        layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        draw.text((w // 2, h // 2), "SHOP 88", fill=(255, 255, 255, 150), font=_font(w // 6), anchor="mm")
        draw.rectangle(
            (0, h // 2 - h // 14, w, h // 2 + h // 14), outline=(255, 255, 255, 150), width=max(2, w // 150)
        )
        return Image.alpha_composite(img.convert("RGBA"), layer).convert("RGB"), None
    if name == "text":
        img = img.copy()
        draw = ImageDraw.Draw(img)
        words = arg.replace("_", " ")
        draw.rectangle((0, round(h * 0.04), w, round(h * 0.04) + max(20, h // 12)), fill=(255, 255, 255))
        draw.text(
            (w // 2, round(h * 0.04) + max(10, h // 24)),
            words,
            fill=(20, 20, 20),
            font=_font(max(14, h // 16)),
            anchor="mm",
        )
        return img, None
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
