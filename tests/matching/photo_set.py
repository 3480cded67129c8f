"""The labelled photo set: the brand's photos under every transform counterfeiters use, its logo on
other products, and what must not match (look-alikes, other brands' photos and logos), for four
fictional brands of different goods — the two examples (bags and shoes; watches and a perfume) and
two made here (:data:`tests.matching.photos.EXTRA_BRANDS`: trainers; perfume bottles).

Each case: ``(brand, category, spec)``; ``category`` is a positive category (:data:`CATEGORIES`) or
``"negative:<what>"``. Specs are :mod:`tests.matching.photos` specs; everything is deterministic.
"""

from __future__ import annotations

from pathlib import Path

from markwatch.brand import Brand, resolve_brand
from tests.matching.photos import EXTRA_BRANDS, extra_brand_photos

#: Positive categories and the transforms (spec steps) of each.
CATEGORIES: dict[str, list[str]] = {
    "mirrored": ["mirror", "mirror|resize:600|q:70"],
    "rotated": ["rotate:5", "rotate:-8", "rotate:12", "rotate:-15"],
    "tile": ["collage:2:1", "collage:3:4", "collage:3:6"],
    "padded": ["pad:0.3", "pad:0.45", "pad:0.6"],
    "cropped": ["crop:0.1,0.1,0.1,0.1", "crop:0.15,0.05,0.15,0.1", "crop:0.3,0,0,0"],
    "screenshot": ["screen", "screen|q:60"],
    "watermark": ["bigwm", "bigwm|resize:600"],
}
#: Logo sizes (fraction of the photo's width taken by the logo image) and the products it is put on.
LOGO_SIZES = (0.08, 0.12, 0.16, 0.2)
LOGO_CARRIERS = ("bottle", "bag")
MIN_RECALL = {**{c: 0.90 for c in CATEGORIES}, "logo": 0.75}
MAX_FALSE_RATE = 0.02
SHIPPED = ("veloria", "corvane")
BRANDS = (*SHIPPED, *EXTRA_BRANDS)
FOREIGN = ("aldric", "bexmoor", "cyrene", "dovanti")


def brands(folder: Path) -> dict[str, Brand]:
    """The four brands: the shipped examples and two made under ``folder`` (photos, logo)."""
    made = extra_brand_photos(folder)
    out = {slug: resolve_brand(slug) for slug in SHIPPED}
    for slug, files in made.items():
        out[slug] = Brand.model_validate(
            {
                "slug": slug,
                "name": slug.title(),
                "marks": [
                    {"id": f"{slug}-word", "kind": "word", "text": slug.upper()},
                    {"id": f"{slug}-logo", "kind": "figurative", "images": [str(p) for p in files["logo"]]},
                ],
                "reference_images": [str(p) for p in files["photos"]],
                "search_terms": [slug],
                "price_floor": {"CNY": 800},
            }
        )
    return out


def _sources(slug: str, b: Brand) -> list[str]:
    if slug in SHIPPED:
        return [f"official:{slug}/official/{Path(p).name}" for p in b.reference_images]
    return [f"ref:{slug}/{Path(p).name}" for p in b.reference_images]


def cases(all_brands: dict[str, Brand]) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for slug, b in all_brands.items():
        sources = _sources(slug, b)
        for category, steps in CATEGORIES.items():
            for source in sources:
                for step in steps:
                    out.append((slug, category, f"{source}|{step}"))
        for size in LOGO_SIZES:
            for carrier in LOGO_CARRIERS:
                out.append((slug, "logo", f"logoon:{slug}:{carrier}:{slug}{size}{carrier}:{size}"))
        # must not match: look-alikes (also flipped and tiled), other brands' photos and logos
        lines = len(sources)
        for seed in range(12):
            spec = f"lookalike:{slug}:{seed % lines}:p{seed}"
            out.append((slug, "negative:look-alike", spec))
        for seed in range(4):
            out.append((slug, "negative:look-alike", f"lookalike:{slug}:{seed % lines}:q{seed}|mirror"))
            out.append(
                (slug, "negative:look-alike", f"lookalike:{slug}:{seed % lines}:r{seed}|collage:2:{seed}")
            )
        for other, ob in all_brands.items():
            if other == slug:
                continue
            for source in _sources(other, ob)[:2]:
                out.append((slug, "negative:other-brand-photo", source))
                out.append((slug, "negative:other-brand-photo", f"{source}|mirror|collage:3:4"))
            out.append((slug, "negative:other-brand-logo", f"logoon:{other}:bottle:{slug}x{other}:0.15"))
        for name in FOREIGN:
            out.append((slug, "negative:foreign-logo", f"logoon:foreign-{name}:bag:{slug}f{name}:0.15"))
        for seed in range(6):
            kind = ("bag", "watch", "shoe", "bottle")[seed % 4]
            out.append((slug, "negative:unrelated", f"other:{kind}:{slug}{seed}"))
    return out
