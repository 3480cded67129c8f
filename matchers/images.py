"""Image hashes for matching listing photos against a brand's own photos and logos.

The recipe (``RECIPE``) was decided by measuring on photos made with :mod:`sandbox.imagegen`
(``python bench/bench_match.py measure-images``): the six official photos of the two example brands,
each put through 25 transformations (resized ×0.5–1.5, JPEG q30, a tiled watermark, a text band of
12/16/20 % across the bottom, brightness ×0.55–1.5, contrast ×1.3, crops of 5–15 % on one to four
edges, and four combinations), against 240 photos of look-alike products (another seller's photo of
the same product line: same colours and shape, a different picture; and other products of the same
kind).

What was tried, as the fraction of bits that differ (true copies, worst / other photos, closest):

* imagehash-style ``phash`` (64 bits): a text band moved a true copy by 16 bits while another
  seller's photo of a look-alike bag came within 2 bits — useless alone for this;
* ``dhash`` of a 33×32 thumbnail (1,024 bits) against 17 crops of each reference: 0.091 / 0.104;
  adding brightened/darkened references: 0.080 / 0.055; a finer 81-crop grid: 0.082 / 0.098; vertical
  gradients or normalised cross-correlation: worse;
* horizontal gradients only, crop refined, distance as below: 150/150 copies, 0/240 look-alikes, but
  8 of 480 further look-alikes (a validation set the recipe was not tuned on) matched — the beige
  watch on a beige background lines up on its dark strap alone;
* what is kept: gradient signs of a 33×33 thumbnail in both directions (2,048 bits: horizontal
  bands of a background only show in vertical gradients), the reference crop refined edge by edge
  (one edge, zoom or shift; steps of 5, 2.5 and 1.25 % of the side), and a distance that is the mean
  of three fractions of differing bits — among all bits, among the listing photo's *strong*
  gradients (≥ 4 grey levels) and among the reference's strong gradients — leaving out gradients
  that touch a washed-out (≥ 250) or black (≤ 5) pixel of the listing photo (a brightened photo has
  no detail left there) and the 6 of 32 rows that differ most (a text band or caption covers whole
  rows). Measured (recipe mw5; mw4, which decoded at 200×200 on its own, in brackets):

      true copies (150):            max 0.091 (0.101), 95th percentile 0.020 (0.020)
      other photos (240):           min 0.082 (0.083), 1st percentile 0.083 (0.086)
      validation look-alikes (480): min 0.058 (0.058), 1st percentile 0.066 (0.075)

  A photo matches at ``MATCH_DISTANCE`` = 0.045: 146 (147) of 150 true copies (the misses: a tiled
  watermark combined with brightening or a crop, 0.051 and 0.091; the local features find these)
  and none of the 720 other photos. Above 0.03
  the colour of the middle of the photo must also agree (``MAX_COLOUR_DIFF``). The first two bullets
  were measured with exploratory scripts on the same images; the last two are
  ``bench/bench_match.py measure-images``.

Hashes per listing photo (hex, with ``recipe``): ``phash`` and ``dhash`` (64 bits each, imagehash's
algorithms; ``phash`` feeds :class:`matchers.index.HashIndex` look-ups across many photos),
``grad32``, ``strong32`` and ``clip32`` (2,048 bits each) and ``colour`` (4×4 (r, g) chromaticity of the
central half). A photo is decoded once (:func:`open_photo`: ``Image.draft`` to 400 pixels, an area
resize when the draft is larger, an 800×800 JPEG at 400×400) for the hashes and the local features;
the hashes are made from that decode reduced to 200×200 (:func:`hash_input`). Until ``mw5`` the
hashes decoded the file on their own at 200×200 (``draft`` to 128), and the local features decoded
it again. Logos are matched the same way when a listing shows the logo image itself. Transformed
copies (mirrored, rotated, tiled, padded, heavily cropped…) and a logo printed small inside a product
photo are found by the next stage, :mod:`matchers.local`.
"""

from __future__ import annotations

import itertools
import os
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

RECIPE = (
    "mw5:draft-RGB400,area,reduce-to-200;phash8(dct32,lanczos);dhash8(9x8,lanczos);"
    "grad32+strong32+clip32(33x33,bilinear,x+y,>=4,<=5|>=250);colour(4x4 centre rg)"
)
#: Long side (pixels) of the one decode of a photo that the hashes and the local features share.
DECODE_SIDE = 400
#: The hashes are made from that decode reduced by an integer factor to below twice this.
HASH_SIDE = 200
#: Decodes kept (see :func:`open_photo`).
DECODED_KEPT = 4
#: Distance (see :meth:`ReferenceSet.match`) at or below which a listing photo is the reference photo.
MATCH_DISTANCE = 0.045
#: At or below this the copy is near-exact (full weight in the score).
CLOSE_DISTANCE = 0.02
#: Above this distance, the colour of the middle of the photo must agree too.
COLOUR_FREE_DISTANCE = 0.03
#: Largest chromaticity difference (×255) of any middle cell for such a match.
MAX_COLOUR_DIFF = 51
#: Gradient directions hashed: 1 (horizontal) or 2 (horizontal and vertical).
AXES = 2
#: A gradient of at least this many grey levels (of 255) between thumbnail pixels is "strong".
STRONG = 4
#: Only references whose best grid crop is within this many gradient bits (per axis) are refined.
REFINE_BITS = 220
#: Rows (of 32) of the aligned gradient maps left out of the distance: the ones that differ most.
DROP_ROWS = 6
#: How many references (closest on the crop grid) are refined for one photo.
REFINE_TOP = 2
#: Steps (fractions of the side) of the crop refinement, coarse to fine, and the largest trim.
REFINE_STEPS = (0.05, 0.025, 0.0125)
MAX_TRIM = 0.2
Crop = tuple[float, float, float, float]
#: What opening a file that is not a readable, reasonably sized picture raises.
UNREADABLE = (
    OSError,
    UnidentifiedImageError,
    ValueError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)
#: Gradient maps of reference crops kept for refining (each 256 bytes packed): the refinement of one
#: photo tries about a hundred crops, and copies of one reference photo try mostly the same ones.
CROP_CACHE = 65_536
_decoded: OrderedDict[tuple[str, int, int], tuple[NDArray[np.uint8], tuple[int, int]]] = OrderedDict()
_decoded_lock = threading.Lock()
#: Edge trims (left, top, right, bottom) of the reference crops.
CROPS: tuple[Crop, ...] = (
    *((a, b, c, d) for a, b, c, d in itertools.product((0.0, 0.1), repeat=4)),
    (0.05, 0.05, 0.05, 0.05),
)


@lru_cache(maxsize=4)
def _dct_matrix(n: int) -> NDArray[np.float64]:
    k = np.arange(n)
    return np.cos(np.pi * (2 * k[None, :] + 1) * k[:, None] / (2 * n))


def _bits_hex(bits: NDArray[np.bool_]) -> str:
    return np.packbits(bits.astype(np.uint8)).tobytes().hex()


def hex_bits(hex_str: str) -> NDArray[np.bool_]:
    return np.unpackbits(np.frombuffer(bytes.fromhex(hex_str), dtype=np.uint8)).astype(bool)


def open_photo(path: str | Path) -> tuple[NDArray[np.uint8], tuple[int, int]]:
    """The picture as RGB, at most :data:`DECODE_SIDE` pixels on its long side (``draft`` decoding,
    then an area resize), transparency on white; and its full size. The hashes and the local features
    (:mod:`matchers.local`) read this one decode: the last few are kept, keyed by the file's path, size
    and modification time, so that the stages after the hashes do not decode the photo again."""
    try:
        st = os.stat(path)
        key: tuple[str, int, int] | None = (str(path), st.st_size, st.st_mtime_ns)
    except OSError:
        key = None
    with _decoded_lock:
        if key is not None and key in _decoded:
            _decoded.move_to_end(key)
            return _decoded[key]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(path) as src:
            size = src.size
            src.draft("RGB", (DECODE_SIDE, DECODE_SIDE))
            img: Image.Image = src
            if img.mode in ("RGBA", "LA", "P", "PA"):
                rgba = img.convert("RGBA")
                white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                img = Image.alpha_composite(white, rgba)
            arr = np.ascontiguousarray(np.asarray(img.convert("RGB")))
    scale = DECODE_SIDE / max(arr.shape[:2])
    if scale < 1:
        dsize = (max(1, round(arr.shape[1] * scale)), max(1, round(arr.shape[0] * scale)))
        arr = cv2.resize(arr, dsize, interpolation=cv2.INTER_AREA)
    arr.setflags(write=False)  # shared between the stages
    out = (arr, (int(size[0]), int(size[1])))
    if key is not None:
        with _decoded_lock:
            _decoded[key] = out
            while len(_decoded) > DECODED_KEPT:
                _decoded.popitem(last=False)
    return out


def hash_input(path: str | Path) -> Image.Image:
    """What the hashes are computed from: :func:`open_photo`'s decode reduced (box filter, by an
    integer factor) to at most :data:`HASH_SIDE` × 2 − 1 pixels on its long side — 200×200 for an
    800×800 photo; its full size is in ``info["size"]``."""
    arr, size = open_photo(path)
    img = Image.fromarray(arr)
    k = max(1, max(img.size) // HASH_SIDE)
    if k > 1:
        img = img.reduce(k)
    img.info["size"] = size
    return img


def _chroma(rgb: Image.Image) -> NDArray[np.uint8]:
    """Colour of the middle of the picture: 4×4 cells of its central half, as (r, g) chromaticity."""
    w, h = rgb.size
    cells = (
        np.asarray(
            rgb.crop((w // 4, h // 4, 3 * w // 4, 3 * h // 4)).resize((4, 4), Image.Resampling.BOX),
            dtype=np.float64,
        ).reshape(-1, 3)
        + 1.0
    )
    chroma = cells / cells.sum(axis=1, keepdims=True)
    out: NDArray[np.uint8] = np.round(chroma[:, :2].flatten() * 255).astype(np.uint8)
    return out


def _hashes(grey: Image.Image) -> dict[str, NDArray[np.bool_]]:
    if grey.mode != "L":
        grey = grey.convert("L")
    small = np.asarray(grey.resize((32, 32), Image.Resampling.LANCZOS), dtype=np.float64)
    d = _dct_matrix(32)
    low = (d @ small @ d.T)[:8, :8]
    phash = (low > np.median(low)).flatten()
    g9 = np.asarray(grey.resize((9, 8), Image.Resampling.LANCZOS), dtype=np.int16)
    dhash = (g9[:, 1:] > g9[:, :-1]).flatten()
    signs, strong, clip = _grad_maps(grey, with_clip=True)
    return {"phash": phash, "dhash": dhash, "grad32": signs, "strong32": strong, "clip32": clip}


def _grad_maps(
    grey: Image.Image, with_clip: bool = False
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    """Gradient signs of a 33×33 thumbnail — 32×32 horizontal then (with :data:`AXES` = 2) 32×32
    vertical — where they are strong (≥ :data:`STRONG` grey levels), and where they touch a washed-out
    (≥ 250) or black (≤ 5) pixel."""
    g = np.asarray(grey.resize((33, 33), Image.Resampling.BILINEAR), dtype=np.int16)
    dx = g[:-1, 1:] - g[:-1, :-1]
    diffs = [dx] if AXES == 1 else [dx, g[1:, :-1] - g[:-1, :-1]]
    d = np.stack(diffs)
    signs, strong = (d > 0).flatten(), (np.abs(d) >= STRONG).flatten()
    if not with_clip:
        return signs, strong, strong
    c = (g >= 250) | (g <= 5)
    cx = c[:-1, 1:] | c[:-1, :-1]
    clips = [cx] if AXES == 1 else [cx, c[1:, :-1] | c[:-1, :-1]]
    return signs, strong, np.stack(clips).flatten()


def _packed_signs(grey: Image.Image) -> NDArray[np.uint8]:
    """``np.packbits(_grad_maps(grey)[0])`` without the strong and clipped maps (the refinement's
    inner loop: a third of its time went to maps it did not read)."""
    g = np.asarray(grey.resize((33, 33), Image.Resampling.BILINEAR))
    signs = [g[:-1, 1:] > g[:-1, :-1]]
    if AXES == 2:
        signs.append(g[1:, :-1] > g[:-1, :-1])
    return np.packbits(np.concatenate([s.ravel() for s in signs]))


def hash_image(path: str | Path) -> dict[str, Any]:
    """Hashes of one image file as hex, with the recipe; ``{path, error}`` when it cannot be read."""
    try:
        rgb = hash_input(path)
        size = rgb.info["size"]
    except UNREADABLE as exc:
        reason = "file not found" if isinstance(exc, FileNotFoundError) else str(exc) or type(exc).__name__
        return {"path": str(path), "error": reason}
    out: dict[str, Any] = {"path": str(path)}
    out.update({k: _bits_hex(v) for k, v in _hashes(rgb).items()})
    out["colour"] = _chroma(rgb).tobytes().hex()
    out["width"], out["height"] = size
    out["recipe"] = RECIPE
    return out


def hamming_hex(a: str, b: str) -> int:
    """Bits that differ between two hex hashes of the same length."""
    return int(np.count_nonzero(hex_bits(a) != hex_bits(b)))


@dataclass(frozen=True)
class ImageMatch:
    reference: str  # file name of the brand's photo or logo
    reference_path: str
    mark_id: str | None  # the logo's mark, None for a product photo
    distance: float  # 0 (same) .. 1; a match is at most MATCH_DISTANCE
    bits: int  # gradient bits that differ at the best crop
    compared: int  # gradient bits compared (2,048 less the rows left out and washed-out areas)
    strong_bits: int  # of those, bits where the listing photo has a strong gradient
    strong: int  # how many strong gradients the listing photo has
    crop: Crop

    def describe_crop(self) -> str:
        if not any(self.crop):
            return "whole"
        edges = [
            f"{name} {int(v * 100)}%"
            for name, v in zip(("left", "top", "right", "bottom"), self.crop, strict=True)
            if v
        ]
        return "cropped (" + ", ".join(edges) + ")"


class ReferenceSet:
    """A brand's reference photos and logos, each hashed in :data:`CROPS` and kept small for refining."""

    def __init__(self, entries: list[tuple[Path, str | None]]) -> None:
        self.entries: list[tuple[Path, str | None]] = []
        self.errors: list[tuple[Path, str]] = []
        self._grey: list[Image.Image] = []
        self._colour: list[NDArray[np.int16]] = []
        rows: list[NDArray[np.bool_]] = []
        self._owner: list[tuple[int, Crop]] = []
        for path, mark_id in entries:
            try:
                rgb = hash_input(path)
            except UNREADABLE as exc:
                self.errors.append((path, str(exc)))
                continue
            k = len(self.entries)
            self.entries.append((path, mark_id))
            self._colour.append(_chroma(rgb).astype(np.int16))
            grey = rgb.convert("L")
            grey.load()
            self._grey.append(grey)
            for crop in CROPS:
                rows.append(_grad_maps(_crop(grey, crop))[0])
                self._owner.append((k, crop))
        self._d32 = (
            np.packbits(np.array(rows, dtype=np.uint8), axis=1) if rows else np.zeros((0, 128), np.uint8)
        )
        self._packed: dict[tuple[int, Crop], NDArray[np.uint8]] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def match(self, hashes: dict[str, Any], max_distance: float = MATCH_DISTANCE) -> ImageMatch | None:
        """The reference the listing photo is a copy of, if any.

        The photo's gradient signs (``grad32``) are compared with every reference crop; for the
        :data:`REFINE_TOP` closest references the crop is refined edge by edge (:data:`REFINE_STEPS`)
        to the one with the fewest differing bits; the distance is :func:`_occluded_distance`.
        """
        if not self._owner or "grad32" not in hashes:
            return None
        q_packed = np.frombuffer(bytes.fromhex(hashes["grad32"]), dtype=np.uint8)
        q = np.unpackbits(q_packed).astype(bool)
        strong = np.unpackbits(
            np.frombuffer(bytes.fromhex(hashes.get("strong32") or "ff" * len(q_packed)), dtype=np.uint8)
        )
        mask = strong.astype(bool)
        clip_hex = hashes.get("clip32") or "00" * len(q_packed)
        clip = np.unpackbits(np.frombuffer(bytes.fromhex(clip_hex), dtype=np.uint8))
        usable = ~clip.astype(bool).reshape(-1, 32, 32)
        grid = np.bitwise_count(self._d32 ^ q_packed).sum(axis=1)
        best: tuple[float, int, Crop, int, int, int, int] | None = None
        n_crops = len(CROPS)
        per_ref = grid.reshape(len(self.entries), n_crops)
        order = np.argsort(per_ref.min(axis=1), kind="stable")[:REFINE_TOP]
        for k in (int(x) for x in order):
            i0 = k * n_crops + int(np.argmin(per_ref[k]))
            if int(grid[i0]) > REFINE_BITS * AXES:
                continue
            bits, crop = self._refine(k, q_packed, self._owner[i0][1], int(grid[i0]))
            ref_bits, ref_strong, _ = _grad_maps(_crop(self._grey[k], crop))
            differ = (ref_bits != q).reshape(-1, 32, 32)
            distance, bits, compared, strong_bits, n_strong = _occluded_distance(
                differ, mask.reshape(-1, 32, 32), ref_strong.reshape(-1, 32, 32), usable
            )
            if best is None or distance < best[0]:
                best = (distance, k, crop, bits, compared, strong_bits, n_strong)
        if best is None or best[0] > max_distance:
            return None
        distance, k, crop, bits, compared, strong_bits, n_strong = best
        if distance > COLOUR_FREE_DISTANCE and "colour" in hashes:
            colour = np.frombuffer(bytes.fromhex(hashes["colour"]), dtype=np.uint8).astype(np.int16)
            if int(np.abs(colour - self._colour[k]).max()) > MAX_COLOUR_DIFF:
                return None
        path, mark_id = self.entries[k]
        return ImageMatch(
            path.name, str(path), mark_id, round(distance, 4), bits, compared, strong_bits, n_strong, crop
        )

    def _crop_bits(self, k: int, crop: Crop) -> NDArray[np.uint8]:
        """Packed gradient signs of reference ``k`` cut to ``crop`` (cached: see :data:`CROP_CACHE`)."""
        key = (k, crop)
        packed = self._packed.get(key)
        if packed is None:
            if len(self._packed) >= CROP_CACHE:
                self._packed.clear()
            packed = _packed_signs(_crop(self._grey[k], crop))
            self._packed[key] = packed
        return packed

    def _refine(self, k: int, q_packed: NDArray[np.uint8], crop: Crop, bits: int) -> tuple[int, Crop]:
        """Greedy search over the four trims: one edge, all four (zoom) or two opposite (shift)."""
        best_bits, best_crop = bits, crop
        for step in REFINE_STEPS:
            improved = True
            while improved:
                improved = False
                for move in _MOVES:
                    trial = [round(c + m * step, 4) for c, m in zip(best_crop, move, strict=True)]
                    if not all(0.0 <= t <= MAX_TRIM for t in trial):
                        continue
                    cand: Crop = (trial[0], trial[1], trial[2], trial[3])
                    d = int(np.bitwise_count(self._crop_bits(k, cand) ^ q_packed).sum())
                    if d < best_bits:
                        best_bits, best_crop, improved = d, cand, True
        return best_bits, best_crop


#: Refinement moves on (left, top, right, bottom): each edge in or out, zoom in or out, shift.
_MOVES: tuple[tuple[int, int, int, int], ...] = (
    (1, 0, 0, 0),
    (-1, 0, 0, 0),
    (0, 1, 0, 0),
    (0, -1, 0, 0),
    (0, 0, 1, 0),
    (0, 0, -1, 0),
    (0, 0, 0, 1),
    (0, 0, 0, -1),
    (1, 1, 1, 1),
    (-1, -1, -1, -1),
    (1, 0, -1, 0),
    (-1, 0, 1, 0),
    (0, 1, 0, -1),
    (0, -1, 0, 1),
)


def _occluded_distance(
    differ: NDArray[np.bool_],
    strong: NDArray[np.bool_],
    ref_strong: NDArray[np.bool_],
    usable: NDArray[np.bool_],
) -> tuple[float, int, int, int, int]:
    """Distance between aligned gradient maps (axis, row, column), leaving out the :data:`DROP_ROWS`
    rows that differ most (a text band or a caption covers whole rows) and the gradients that touch a
    washed-out or black pixel of the listing photo (no information left there): the mean of the
    fractions of differing bits among all bits, among the listing photo's strong gradients and among
    the reference's strong gradients. Returns (distance, bits that differ, bits compared, strong bits
    that differ, strong bits) over what is kept."""
    differ = differ & usable
    per_row = (differ & strong).sum(axis=(0, 2)) + differ.sum(axis=(0, 2))
    keep = np.argsort(per_row, kind="stable")[: differ.shape[1] - DROP_ROWS]
    d, m, r, u = differ[:, keep], strong[:, keep], ref_strong[:, keep] & usable[:, keep], usable[:, keep]
    bits, strong_bits, n_strong, compared = int(d.sum()), int((d & m).sum()), int(m.sum()), int(u.sum())
    ref_frac = int((d & r).sum()) / max(1, int(r.sum()))
    distance = (bits / max(1, compared) + strong_bits / max(1, n_strong) + ref_frac) / 3
    return distance, bits, compared, strong_bits, n_strong


def _crop(img: Image.Image, crop: Crop) -> Image.Image:
    w, h = img.size
    left, top, right, bottom = crop
    return img.crop((round(w * left), round(h * top), round(w * (1 - right)), round(h * (1 - bottom))))
