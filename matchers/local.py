"""Local features: the brand's photo mirrored, rotated, tiled, padded, heavily cropped, inside a phone
screenshot or under a large watermark, and the brand's logo printed small on another product.

The whole-photo hashes (:mod:`matchers.images`) find resized and lightly cropped copies; what they
cannot align is found here, in three stages, each cheaper stage deciding what the next one sees:

1. **Candidate stage** (every photo the hashes did not match): ORB keypoints (OpenCV) of the photo at
   :data:`WORK` pixels on its long side, matched (Hamming, Lowe's ratio test) against the keypoints of
   every reference photo and of its mirror image. A reference (or its mirror) with at least
   :data:`MIN_VOTES` matches is a candidate.
2. **Geometric verification** (candidates only): RANSAC fits a similarity (rotation, scale, shift:
   ``cv2.estimateAffinePartial2D``) to the candidate's matches; at least :data:`MIN_INLIERS` inliers.
3. **Aligned comparison** (verified candidates only): the photo is warped back onto the reference
   (from a full-resolution decode when the reference covers less than half the photo) and the two are
   compared with the hash recipe's gradient-sign distance (:func:`matchers.images._occluded_distance`)
   over the part of the reference the photo shows (at least :data:`MIN_COVER` of it). A look-alike
   product — same shape, same colours, another picture — aligns on its outline but not on the rest,
   so its distance stays above :data:`ALIGNED_DISTANCE`.

The transform found says what was done to the photo: mirrored, rotated N°, tile k of an n×n collage,
padded onto a larger canvas, heavily cropped, inside a tall (phone screenshot) frame.

**Logos** (figurative marks' images) are found by colour first: every :data:`COARSE_STEP`-th pixel of
the photo (decoded at :data:`COLOUR_SIDE`; picked, not averaged, so that a thin stroke keeps its
colour) whose CIELAB colour is within :data:`LOGO_COARSE` (per channel) of the logo's ink is joined
into blobs; a blob :data:`LOGO_MIN_WIDTH`–:data:`LOGO_MAX_WIDTH` of the photo's width,
shaped like the logo's ink and about as full of ink, is a candidate. Then the ink of the candidate
region (within :data:`LOGO_COLOUR`) is compared with the logo's ink at five scales (normalised
cross-correlation of the blurred ink masks, ≥ :data:`LOGO_NCC`, at least :data:`LOGO_MIN_FOUND` of
the width). A logo printed in another colour than its registered image is not found by this stage.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from matchers.images import DECODE_SIDE, UNREADABLE, _occluded_distance, open_photo

#: Long side (pixels) at which photos and references are searched for keypoints.
WORK = 400
#: Long side of the colour decode (logos are looked for, and checked, at this size).
COLOUR_SIDE = DECODE_SIDE
#: Long side of the decode used to compare a small footprint (a tile, a padded photo) after alignment.
FULL = 800
#: ORB keypoints kept per reference photo (and per mirror image) and per listing photo.
REF_FEATURES = 200
QUERY_FEATURES = 250
#: FAST threshold of ORB: product photos are smooth; the default 20 finds too few corners.
FAST_THRESHOLD = 12
#: Lowe's ratio test on the two nearest reference descriptors.
RATIO = 0.8
#: Ratio-test matches to one reference (or its mirror) that make it a candidate for RANSAC.
MIN_VOTES = 6
#: RANSAC inliers (reprojection error ≤ :data:`RANSAC_PIXELS` at :data:`WORK`) that verify a candidate.
MIN_INLIERS = 6
RANSAC_PIXELS = 4.0
#: Largest aligned gradient-sign distance (see :func:`matchers.images._occluded_distance`) of a match.
ALIGNED_DISTANCE = 0.06
#: The same when the photo shows only part of the reference (a heavy crop): a look-alike zoomed in
#: on its product lines up better over a part than over the whole (measured: crops of true copies
#: ≤ 0.008, look-alikes of the watches as close as 0.029).
CROPPED_DISTANCE = 0.02
#: Below this part of the reference shown, :data:`CROPPED_DISTANCE` applies, unless the geometry alone
#: is beyond doubt (:data:`STRONG_INLIERS`; look-alikes measured up to 22, crops of copies 40–130).
CROPPED_COVER = 0.85
STRONG_INLIERS = 50
#: With fewer inliers than this the geometry is weak and the aligned photos must agree closer
#: (:data:`WEAK_DISTANCE`): on the photo set no true copy with < 20 inliers was above 0.03, and a
#: look-alike watch of the shipped set lined up with 11 inliers at 0.057.
WEAK_INLIERS = 20
WEAK_DISTANCE = 0.03
#: Smallest part of the reference the photo must show.
MIN_COVER = 0.35
#: Scale range (photo side / reference side, at WORK) a similarity may have.
MIN_SCALE, MAX_SCALE = 0.15, 4.0
#: Candidates (by votes) verified per photo.
TOP_CANDIDATES = 2
#: Logo stage: colour distance (CIELAB, 0–255 scaled as OpenCV does) of ink pixels (each channel within
#: :data:`LOGO_COARSE` at :data:`WORK`, where thin strokes blend with the product; within
#: :data:`LOGO_COLOUR` at full resolution); blob width range (fraction of the photo's width); least
#: ink-mask correlation at full resolution.
LOGO_COARSE = 32
LOGO_COLOUR = 28.0
LOGO_MIN_WIDTH, LOGO_MAX_WIDTH = 0.035, 0.2
LOGO_NCC = 0.75
#: Smallest width of a verified logo's ink (fraction of the photo's width).
LOGO_MIN_FOUND = 0.045
LOGO_CANDIDATES = 3
#: The logo stage looks at the colour of every COARSE_STEP-th pixel (in both directions) for blobs.
COARSE_STEP = 2


@dataclass(frozen=True)
class LocalMatch:
    """A reference photo or logo found in a listing photo by local features."""

    reference: str  # file name
    reference_path: str
    mark_id: str | None  # the logo's mark, None for a product photo
    method: str  # "orb" | "logo"
    transforms: tuple[str, ...]  # what was done to the photo, in words
    inliers: int = 0
    votes: int = 0
    distance: float = 0.0  # aligned gradient distance (orb) or 1 - ink correlation (logo)
    box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)  # x, y, w, h as fractions of the photo
    box_px: tuple[int, int, int, int] = (0, 0, 0, 0)  # the same in pixels of the photo as stored
    angle: float = 0.0
    scale: float = 1.0
    mirrored: bool = False
    cover: float = 1.0  # part of the reference the photo shows

    def describe(self) -> str:
        if self.transforms:
            return ", ".join(self.transforms)
        # same frame, yet the whole-photo hashes missed it: something covers part of it
        return (
            "the whole photo, partly covered (a large watermark, text or a band: "
            "the whole-photo hashes missed it)"
        )


@dataclass(frozen=True)
class NearMiss:
    """A candidate that did not count, and why (for the analyst)."""

    reference: str
    mark_id: str | None
    why: str


@dataclass
class LocalResult:
    match: LocalMatch | None = None
    near_misses: list[NearMiss] = field(default_factory=list)
    stages: tuple[str, ...] = ()  # stages that ran on this photo


def _open(path: str | Path, side: int, mode: str = "L") -> tuple[NDArray[np.uint8], tuple[int, int]]:
    """The picture at ``side`` pixels on its long side at most (draft decoding), and its full size."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(path) as src:
            size = src.size
            src.draft(mode if mode == "L" else "RGB", (side, side))
            img: Image.Image = src
            if img.mode in ("RGBA", "LA", "P", "PA"):
                rgba = img.convert("RGBA")
                white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                img = Image.alpha_composite(white, rgba)
            arr = np.ascontiguousarray(np.asarray(img.convert(mode)))
    scale = side / max(arr.shape[:2])
    if scale < 1:
        dsize = (max(1, round(arr.shape[1] * scale)), max(1, round(arr.shape[0] * scale)))
        arr = cv2.resize(arr, dsize, interpolation=cv2.INTER_AREA)
    return arr, size


def _grad_bits(t: NDArray[Any]) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    g = t.astype(np.int16)
    d = np.stack([g[:-1, 1:] - g[:-1, :-1], g[1:, :-1] - g[:-1, :-1]])
    return d > 0, np.abs(d) >= 4


_thumbs: dict[int, tuple[NDArray[np.uint8], NDArray[np.uint8]]] = {}


def _thumb33(ref: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The reference's 33×33 area thumbnail, made once per reference array."""
    hit = _thumbs.get(id(ref))
    if hit is not None and hit[0] is ref:
        return hit[1]
    if len(_thumbs) > 256:
        _thumbs.clear()
    thumb: NDArray[np.uint8] = np.asarray(cv2.resize(ref, (33, 33), interpolation=cv2.INTER_AREA), np.uint8)
    _thumbs[id(ref)] = (ref, thumb)
    return thumb


def aligned_distance(
    ref: NDArray[np.uint8], photo: NDArray[np.uint8], m: NDArray[np.float64]
) -> tuple[float, float]:
    """(distance, cover): the photo warped onto the reference by the inverse of ``m`` (reference →
    photo pixels), compared as 33×33 gradient signs over the part of the reference the photo shows."""
    hr, wr = ref.shape
    inv = cv2.invertAffineTransform(m)
    aligned = cv2.warpAffine(photo, inv, (wr, hr), flags=cv2.INTER_AREA)
    cover_map = cv2.warpAffine(np.full(photo.shape, 255, np.uint8), inv, (wr, hr), flags=cv2.INTER_LINEAR)
    cover = float((cover_map > 250).mean())
    if cover < MIN_COVER:
        return 1.0, cover
    a = cv2.resize(aligned, (33, 33), interpolation=cv2.INTER_AREA)
    r = _thumb33(ref)
    c = cv2.resize(cover_map, (33, 33), interpolation=cv2.INTER_AREA) >= 250
    qs, qst = _grad_bits(a)
    rs, rst = _grad_bits(r)
    inside = np.stack([c[:-1, 1:] & c[:-1, :-1], c[1:, :-1] & c[:-1, :-1]])
    clip = (a >= 250) | (a <= 5)
    clipped = np.stack([clip[:-1, 1:] | clip[:-1, :-1], clip[1:, :-1] | clip[:-1, :-1]])
    distance = _occluded_distance(qs != rs, qst, rst, inside & ~clipped)[0]
    return float(distance), cover


def describe_transform(
    m: NDArray[np.float64],
    ref_shape: tuple[int, int],
    photo_shape: tuple[int, int],
    mirrored: bool,
    cover: float,
) -> tuple[tuple[str, ...], tuple[float, float, float, float], float, float]:
    """Words for what was done to the reference to make the photo; the reference's box in the photo
    (fractions), the rotation (degrees, counter-clockwise as seen) and the scale."""
    hr, wr = ref_shape
    hp, wp = photo_shape
    corners = np.array([[0, 0, 1], [wr, 0, 1], [wr, hr, 1], [0, hr, 1]], dtype=np.float64) @ m.T
    x0, y0 = max(0.0, corners[:, 0].min()), max(0.0, corners[:, 1].min())
    x1, y1 = min(float(wp), corners[:, 0].max()), min(float(hp), corners[:, 1].max())
    box = (x0 / wp, y0 / hp, max(0.0, x1 - x0) / wp, max(0.0, y1 - y0) / hp)
    angle = -math.degrees(math.atan2(m[1, 0], m[0, 0]))
    scale = math.hypot(m[0, 0], m[1, 0])
    words: list[str] = []
    if mirrored:
        words.append("mirrored")
    if abs(angle) >= 2.5:
        words.append(f"rotated {abs(angle):.0f}° {'counter-clockwise' if angle > 0 else 'clockwise'}")
    _, by, bw, bh = box
    if cover < CROPPED_COVER:
        words.append(f"heavily cropped ({100 * (1 - cover):.0f}% of the reference cut off)")
    elif hp / wp >= 1.4 and bw >= 0.85:
        top, bottom = by, 1 - by - bh
        words.append(
            "inside a tall frame such as a phone screenshot "
            f"({100 * top:.0f}% above, {100 * bottom:.0f}% below)"
        )
    elif bw < 0.85 or bh < 0.85:
        tile = _tile(box)
        words.append(tile or f"padded onto a larger canvas (the photo is {100 * bw:.0f}% of its width)")
    return tuple(words), box, angle, scale


def _tile(box: tuple[float, float, float, float]) -> str | None:
    bx, by, bw, bh = box
    for n in (2, 3, 4):
        if abs(bw * n - 1) <= 0.12 and abs(bh * n - 1) <= 0.12:
            col, row = round((bx + bw / 2) * n - 0.5), round((by + bh / 2) * n - 0.5)
            if abs((bx + bw / 2) * n - 0.5 - col) <= 0.15 and abs((by + bh / 2) * n - 0.5 - row) <= 0.15:
                return f"tile {row * n + col + 1} of a {n}×{n} collage (row {row + 1}, column {col + 1})"
    return None


@dataclass
class _Logo:
    path: Path
    mark_id: str | None
    lab: NDArray[np.float32]  # ink colour
    ink: NDArray[np.uint8]  # ink mask of the logo cut to its ink, 0/255
    aspect: float  # width / height of the ink box
    fill: float  # ink pixels / box area
    #: the blurred ink mask at each size it was compared at (sizes recur from photo to photo)
    templates: dict[tuple[int, int], NDArray[np.float32]] = field(default_factory=dict)

    def template(self, tw: int, th: int) -> NDArray[np.float32]:
        known = self.templates.get((tw, th))
        if known is not None:
            return known
        if len(self.templates) > 512:
            self.templates.clear()
        small = cv2.resize(self.ink, (tw, th), interpolation=cv2.INTER_AREA).astype(np.float32)
        t: NDArray[np.float32] = np.asarray(cv2.GaussianBlur(small, (0, 0), 1.5), np.float32)
        self.templates[(tw, th)] = t
        return t


class LocalReferences:
    """A brand's reference photos (ORB keypoints of each and of its mirror image) and logos (ink colour
    and ink mask), for :meth:`find`."""

    def __init__(self, entries: list[tuple[Path, str | None]], logos: list[tuple[Path, str | None]]) -> None:
        cv2.setNumThreads(1)
        self._orb_ref = cv2.ORB.create(nfeatures=REF_FEATURES, fastThreshold=FAST_THRESHOLD)
        self._orb = cv2.ORB.create(nfeatures=QUERY_FEATURES, fastThreshold=FAST_THRESHOLD)
        self.refs: list[tuple[Path, str | None, bool, NDArray[np.uint8]]] = []
        self.errors: list[tuple[Path, str]] = []
        descs: list[NDArray[np.uint8]] = []
        points: list[NDArray[np.float32]] = []
        owners: list[NDArray[np.int32]] = []
        for path, mark_id in entries:
            try:
                grey, _ = _open(path, WORK)
            except UNREADABLE as exc:
                self.errors.append((path, str(exc)))
                continue
            for mirrored in (False, True):
                g = np.ascontiguousarray(grey[:, ::-1]) if mirrored else grey
                kps, des = self._orb_ref.detectAndCompute(g, None)
                if des is None or len(kps) < MIN_INLIERS:
                    continue
                owners.append(np.full(len(kps), len(self.refs), np.int32))
                self.refs.append((path, mark_id, mirrored, g))
                descs.append(np.asarray(des, np.uint8))
                points.append(np.array([k.pt for k in kps], np.float32))
        self._des = np.vstack(descs) if descs else np.zeros((0, 32), np.uint8)
        self._pts = np.vstack(points) if points else np.zeros((0, 2), np.float32)
        self._own = np.concatenate(owners) if owners else np.zeros(0, np.int32)
        # exact brute force (Hamming), not FLANN's LSH: LSH picks its hash keys at random, so a
        # look-alike near the limit could match in one run and not the next
        self._index = _HammingIndex(self._des)
        self.logos: list[_Logo] = []
        for path, mark_id in logos:
            try:
                self.logos.append(_load_logo(path, mark_id))
            except (*UNREADABLE, _NoInk) as exc:
                self.errors.append((path, str(exc)))

    def __len__(self) -> int:
        return len(self.refs) + len(self.logos)

    def find(self, path: str | Path) -> LocalResult:
        """The reference photo or logo this photo shows under one of the transforms, if any."""
        out = LocalResult()
        try:
            rgb, size = open_photo(path)  # the hash stage's decode, at COLOUR_SIDE
        except UNREADABLE:
            return out
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        if max(grey.shape) > WORK:
            f = WORK / max(grey.shape)
            dsize = (max(1, round(grey.shape[1] * f)), max(1, round(grey.shape[0] * f)))
            grey = cv2.resize(grey, dsize, interpolation=cv2.INTER_AREA)
        stages = ["orb-candidates"]
        if len(self._des):
            found = self._find_photo(path, np.asarray(grey, np.uint8), size, out, stages)
            if found is not None:
                out.match = found
        if out.match is None and self.logos:
            stages.append("logo-colour")
            out.match = self._find_logo(path, rgb, size, out, stages)
        out.stages = tuple(stages)
        return out

    # --- reference photos ------------------------------------------------------------------------

    def _find_photo(
        self,
        path: str | Path,
        grey: NDArray[np.uint8],
        size: tuple[int, int],
        out: LocalResult,
        stages: list[str],
    ) -> LocalMatch | None:
        kps, des = self._orb.detectAndCompute(grey, None)
        if des is None or len(kps) < MIN_INLIERS:
            return None
        dist, nearest = self._index.two_nearest(np.ascontiguousarray(des, np.uint8))
        good = np.flatnonzero(dist[:, 0] < RATIO * dist[:, 1])
        if not len(good):
            return None
        q = np.array([kps[int(i)].pt for i in good], np.float32)
        t = nearest[good, 0].astype(np.int64)
        owner = self._own[t]
        votes = np.bincount(owner, minlength=len(self.refs))
        full: NDArray[np.uint8] | None = None
        best: LocalMatch | None = None
        for k in (int(i) for i in np.argsort(-votes, kind="stable")[:TOP_CANDIDATES]):
            if votes[k] < MIN_VOTES:
                break
            ref_path, mark_id, mirrored, ref = self.refs[k]
            name = ref_path.name + (" (mirrored)" if mirrored else "")
            if "ransac" not in stages:
                stages.append("ransac")
            sel = owner == k
            m, inl = cv2.estimateAffinePartial2D(
                self._pts[t[sel]], q[sel], method=cv2.RANSAC, ransacReprojThreshold=RANSAC_PIXELS
            )
            n_in = int(inl.sum()) if inl is not None else 0
            scale = math.hypot(m[0, 0], m[1, 0]) if m is not None else 0.0
            if m is None or n_in < MIN_INLIERS or not MIN_SCALE <= scale <= MAX_SCALE:
                out.near_misses.append(
                    NearMiss(
                        name,
                        mark_id,
                        f"{MIN_INLIERS} ORB inliers needed, {n_in} found ({int(votes[k])} matches)",
                    )
                )
                continue
            photo, mm = grey, m
            footprint = scale * max(ref.shape) / max(grey.shape)
            if footprint < 0.55:  # a tile or a small padded photo: compare at full resolution
                if full is None:
                    try:
                        full, _ = _open(path, FULL)
                    except UNREADABLE:
                        full = grey
                    stages.append("full-decode")
                f = full.shape[1] / grey.shape[1]
                photo, mm = full, m * f
            distance, cover = aligned_distance(ref, photo, mm)
            strict = cover < CROPPED_COVER and n_in < STRONG_INLIERS
            limit = CROPPED_DISTANCE if strict else ALIGNED_DISTANCE
            if n_in < WEAK_INLIERS:
                limit = min(limit, WEAK_DISTANCE)
            if cover < MIN_COVER or distance > limit:
                part = f" over the {100 * cover:.0f}% of it shown" if cover < CROPPED_COVER else ""
                why = (
                    f"shows only {100 * cover:.0f}% of it ({100 * MIN_COVER:.0f}% needed)"
                    if cover < MIN_COVER
                    else f"aligned by {n_in} ORB inliers but the aligned photos differ{part}: distance "
                    f"{distance:.3f} > {limit} (a look-alike, not a copy)"
                )
                out.near_misses.append(NearMiss(name, mark_id, why))
                continue
            words, box, angle, _ = describe_transform(m, ref.shape, grey.shape, mirrored, cover)
            sx, sy = size[0], size[1]
            cand = LocalMatch(
                ref_path.name,
                str(ref_path),
                mark_id,
                "orb",
                words,
                inliers=n_in,
                votes=int(votes[k]),
                distance=round(distance, 4),
                box=tuple(round(v, 3) for v in box),  # type: ignore[arg-type]
                box_px=(round(box[0] * sx), round(box[1] * sy), round(box[2] * sx), round(box[3] * sy)),
                angle=round(angle, 1),
                scale=round(scale, 3),
                mirrored=mirrored,
                cover=round(cover, 3),
            )
            if best is None or cand.distance < best.distance:
                best = cand
        return best

    # --- logos -----------------------------------------------------------------------------------

    def _find_logo(
        self,
        path: str | Path,
        rgb: NDArray[np.uint8],
        size: tuple[int, int],
        out: LocalResult,
        stages: list[str],
    ) -> LocalMatch | None:
        h, w = rgb.shape[:2]
        # the colours are looked at on every COARSE_STEP-th pixel (a quarter of the work; picked, not
        # averaged, so that a thin stroke keeps its colour)
        f = COARSE_STEP
        if h % f == 0 and w % f == 0:  # the same pixels as rgb[::f, ::f], five times faster
            picked = cv2.resize(rgb, (w // f, h // f), interpolation=cv2.INTER_NEAREST)
        else:
            picked = np.ascontiguousarray(rgb[::f, ::f])
        lab = cv2.cvtColor(picked, cv2.COLOR_RGB2LAB)
        for logo in self.logos:
            lo = np.clip(logo.lab - LOGO_COARSE, 0, 255).astype(np.uint8)
            hi = np.clip(logo.lab + LOGO_COARSE, 0, 255).astype(np.uint8)
            near = cv2.inRange(lab, lo, hi)  # 255 where the colour is near (uint8 throughout: fast)
            if cv2.countNonZero(near) < 2:
                continue
            # join the logo's strokes (an emblem over a word leaves a gap) into one blob
            joined = cv2.dilate(near, _JOIN_COARSE)
            n, _, stats, _ = cv2.connectedComponentsWithStats(joined)
            cands: list[tuple[float, int, int, int, int]] = []
            for i in range(1, n):
                cx, cy, cbw, cbh = (int(v) for v in stats[i][:4])
                if not LOGO_MIN_WIDTH * w <= cbw * f <= LOGO_MAX_WIDTH * w:
                    continue
                if not 0.6 <= (cbw / max(1, cbh)) / logo.aspect <= 1.6:
                    continue
                ink = float(near[cy : cy + cbh, cx : cx + cbw].mean()) / 255
                if not logo.fill / 3 <= ink <= min(1.0, logo.fill * 3):
                    continue
                # back at full size, one step wider on each side (what the picking may have missed)
                x, y = max(0, (cx - 1) * f), max(0, (cy - 1) * f)
                bw, bh = min(w - x, (cbw + 2) * f), min(h - y, (cbh + 2) * f)
                cands.append((bw * bh, x, y, bw, bh))
            for _, x, y, bw, bh in _distinct(cands)[:LOGO_CANDIDATES]:
                if "logo-verify" not in stages:
                    stages.append("logo-verify")
                full = rgb
                ncc, loc, side = _ink_ncc(full, logo, (x, y, bw, bh))
                what = f"{logo.path.name} at {x * size[0] // w},{y * size[1] // h}"
                if ncc >= LOGO_NCC and side[0] < LOGO_MIN_FOUND * w:
                    out.near_misses.append(
                        NearMiss(
                            logo.path.name,
                            logo.mark_id,
                            f"something like the logo at {what} is too small to tell: "
                            f"{100 * side[0] / w:.1f}% of the width ({100 * LOGO_MIN_FOUND:.1f}% needed)",
                        )
                    )
                    continue
                if ncc < LOGO_NCC:
                    out.near_misses.append(
                        NearMiss(
                            logo.path.name,
                            logo.mark_id,
                            f"a blob of the logo's colour at {what} is not the logo: ink correlation "
                            f"{ncc:.2f} < {LOGO_NCC}",
                        )
                    )
                    continue
                fx, fy = size[0] / full.shape[1], size[1] / full.shape[0]
                px = (round(loc[0] * fx), round(loc[1] * fy), round(side[0] * fx), round(side[1] * fy))
                box = (px[0] / size[0], px[1] / size[1], px[2] / size[0], px[3] / size[1])
                return LocalMatch(
                    logo.path.name,
                    str(logo.path),
                    logo.mark_id,
                    "logo",
                    (
                        f"logo at {px[0]},{px[1]} {px[2]}×{px[3]} px ({100 * box[2]:.0f}% of the width), "
                        f"ink correlation {ncc:.2f}",
                    ),
                    distance=round(1 - ncc, 4),
                    box=(round(box[0], 3), round(box[1], 3), round(box[2], 3), round(box[3], 3)),
                    box_px=px,
                )
        return None


_JOIN = np.ones((7, 3), np.uint8)
_JOIN_COARSE = np.ones((4, 2), np.uint8)  # the same at every other pixel


class _HammingIndex:
    """The two nearest reference descriptors (Hamming distance) of each descriptor of a photo: faiss's
    exact binary index (SIMD popcount: 0.4 ms for 250 × 1,200 descriptors on one core, where OpenCV's
    brute-force matcher takes 1.6 ms), or OpenCV's ``batchDistance`` where faiss is not installed.
    Both give the same distances."""

    def __init__(self, train: NDArray[np.uint8]) -> None:
        self.train = np.ascontiguousarray(train, np.uint8)
        self._faiss: Any = None
        try:
            import faiss
        except ImportError:
            return
        faiss.omp_set_num_threads(1)  # one scoring worker per core
        index = faiss.IndexBinaryFlat(self.train.shape[1] * 8)
        if len(self.train):
            index.add(self.train)
        self._faiss = index

    def two_nearest(self, query: NDArray[np.uint8]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(distances, indices), each (len(query), 2); a missing neighbour has distance 256·8."""
        if len(self.train) < 2:
            far = np.full((len(query), 2), 8 * query.shape[1] + 1, np.int64)
            return far, np.zeros((len(query), 2), np.int64)
        if self._faiss is not None:
            d, i = self._faiss.search(query, 2)
            return d.astype(np.int64), i.astype(np.int64)
        d, i = cv2.batchDistance(query, self.train, cv2.CV_32S, normType=cv2.NORM_HAMMING, K=2)
        return np.asarray(d, np.int64), np.asarray(i, np.int64)


def _distinct(cands: list[tuple[float, int, int, int, int]]) -> list[tuple[float, int, int, int, int]]:
    """Candidates, densest first, without those whose centre lies inside a denser one."""
    out: list[tuple[float, int, int, int, int]] = []
    for c in sorted(cands, reverse=True):
        _, x, y, bw, bh = c
        cx, cy = x + bw / 2, y + bh / 2
        if not any(o[1] <= cx <= o[1] + o[3] and o[2] <= cy <= o[2] + o[4] for o in out):
            out.append(c)
    return out


class _NoInk(ValueError):
    pass


def _load_logo(path: Path, mark_id: str | None) -> _Logo:
    rgb, _ = _open(path, 600, "RGB")
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    ink = grey < 200
    if int(ink.sum()) < 20:
        raise _NoInk(f"{path.name}: no ink (a logo should be dark marks on a light background)")
    ys, xs = np.nonzero(ink)
    box = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    if float(box.mean()) > 0.9:
        raise _NoInk(f"{path.name}: no light background around the marks (a solid picture is not a logo)")
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)[ink]
    colour = np.median(lab, axis=0).astype(np.float32)
    return _Logo(
        path,
        mark_id,
        colour,
        (box * 255).astype(np.uint8),
        box.shape[1] / box.shape[0],
        float(box.mean()),
    )


def _ink_ncc(
    full: NDArray[np.uint8], logo: _Logo, region: tuple[float, float, float, float]
) -> tuple[float, tuple[int, int], tuple[int, int]]:
    """Best normalised correlation of the logo's blurred ink mask with the region's (colour-near pixels),
    over three scales around the region's size; and where (top-left, size in full-decode pixels)."""
    x, y, bw, bh = region
    h, w = full.shape[:2]
    pad = 0.5
    x0, y0 = max(0, int(x - pad * bw)), max(0, int(y - pad * bh))
    x1, y1 = min(w, int(x + bw * (1 + pad)) + 1), min(h, int(y + bh * (1 + pad)) + 1)
    crop = cv2.cvtColor(np.ascontiguousarray(full[y0:y1, x0:x1]), cv2.COLOR_RGB2LAB).astype(np.float32)
    near = ((np.linalg.norm(crop - logo.lab, axis=2) <= LOGO_COLOUR) * 255).astype(np.uint8)
    near_f = cv2.GaussianBlur(near.astype(np.float32), (0, 0), 1.5)
    best = (-1.0, (0, 0), (0, 0))
    for s in (0.75, 0.87, 1.0, 1.15, 1.3):
        tw = max(8, round(bw * s))
        th = max(8, round(tw / logo.aspect))
        if tw >= near_f.shape[1] or th >= near_f.shape[0]:
            continue
        t = logo.template(tw, th)
        r = cv2.matchTemplate(near_f, t, cv2.TM_CCOEFF_NORMED)
        # windows with (almost) no contrast give meaningless correlations
        mean = cv2.blur(near_f, (tw, th), anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
        sq = cv2.blur(near_f * near_f, (tw, th), anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
        std = np.sqrt(np.maximum(sq - mean * mean, 0))[: r.shape[0], : r.shape[1]]
        r[~np.isfinite(r) | (std < 0.5 * float(t.std()))] = 0
        _, mx, _, loc = cv2.minMaxLoc(r)
        if mx > best[0]:
            best = (float(mx), (x0 + loc[0], y0 + loc[1]), (tw, th))
    return best


def as_reason_data(m: LocalMatch) -> dict[str, Any]:
    """The facts of a local match for a reason's ``data``."""
    return {
        "method": m.method,
        "reference": m.reference_path,
        "transforms": list(m.transforms),
        "inliers": m.inliers,
        "distance": m.distance,
        "box": list(m.box_px),
        "angle": m.angle,
        "mirrored": m.mirrored,
        "cover": m.cover,
        "mark_id": m.mark_id,
    }
