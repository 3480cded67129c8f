"""Text printed on listing photos (the brand's name, a WeChat or QQ id), read by OCR.

The reader is RapidOCR (``rapidocr-onnxruntime`` from PyPI), which ships its PP-OCRv4 detection and
recognition models (Chinese and Latin) inside the package: it runs offline, on the CPU, with
onnxruntime. Two passes, each at the resolution it needs:

* **detection** (where the lines are) on the photo scaled to :data:`DET_SIDE` pixels on its long
  side — RapidOCR's default runs it at the photo's own size (800 px and more), which is two thirds of
  the cost; at 480 px every line at least 12 px tall on an 800 px photo (1.5 % of its height) is still
  found (``bench/bench_match.py ocr-sizes`` measures it);
* **recognition** (what each line says) on each line cut from the photo decoded at :data:`OCR_SIDE`,
  one line at a time and at its own width (a batch pads every line to the widest one's width, and
  RapidOCR's default pads every line to at least 320 px: 21 ms a line where 12 ms reads the same).

About 0.07–0.1 s per 800×800 photo on one core (0.27 s with RapidOCR's defaults), which is why the score
still runs it only on some photos (see :data:`matchers.score.OCR_MODES`). When the package is not
installed, :func:`available` says so and no photo is read (the score says "OCR not available" in its
reasons).

:func:`PhotoText.text` is what the text matcher scans: the lines read, joined with " | ".
"""

from __future__ import annotations

import os
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from matchers.images import UNREADABLE

#: Long side (pixels) the photo is decoded at for OCR: lines are cut from it for recognition.
OCR_SIDE = 960
#: Long side (pixels) the text detector sees.
DET_SIDE = 480
#: Lines read with less confidence than this are left out.
MIN_CONFIDENCE = 0.6

_engine: Any = None
_engine_error: str | None = None
_lock = threading.Lock()


@dataclass(frozen=True)
class TextLine:
    text: str
    confidence: float
    box: tuple[int, int, int, int]  # x, y, w, h in pixels of the photo as stored


@dataclass
class PhotoText:
    path: str
    lines: list[TextLine] = field(default_factory=list)
    error: str | None = None

    @property
    def text(self) -> str:
        return " | ".join(line.text for line in self.lines)


def _load() -> Any:
    global _engine, _engine_error
    with _lock:
        if _engine is None and _engine_error is None:
            try:
                from rapidocr_onnxruntime import RapidOCR

                # one thread: the crawl's scoring workers are one process per core; "max": the
                # detector never scales the (already small) picture it is given up
                _engine = RapidOCR(
                    intra_op_num_threads=1,
                    inter_op_num_threads=1,
                    det_limit_type="max",
                    rec_batch_num=1,
                    # RapidOCR pads every line to at least 320×48 (a ratio of 6.7): a word such as
                    # "VELORIA" is 170 px wide; at least 96 px (ratio 2) reads the same, in 60 % of the time
                    rec_img_shape=[3, 48, 96],
                )
            except Exception as exc:  # any failure to load means: no OCR here
                _engine_error = f"{type(exc).__name__}: {exc}"
    return _engine


def available() -> str | None:
    """None when OCR can run here, else why not (one line)."""
    _load()
    return _engine_error


#: Photos whose text is kept (keyed by path, size and modification time): a listing re-scored, or
#: photos shared by listings, are read once.
CACHE = 512
_cache: OrderedDict[tuple[str, int, int], PhotoText] = OrderedDict()


def read(path: str | Path) -> PhotoText:
    """The lines of text OCR reads on the photo (confidence ≥ :data:`MIN_CONFIDENCE`)."""
    try:
        st = os.stat(path)
        key: tuple[str, int, int] | None = (str(path), st.st_size, st.st_mtime_ns)
    except OSError:
        key = None
    if key is not None and key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    out = _read(path)
    if key is not None and out.error is None:
        _cache[key] = out
        if len(_cache) > CACHE:
            _cache.popitem(last=False)
    return out


def _read(path: str | Path) -> PhotoText:
    out = PhotoText(str(path))
    engine = _load()
    if engine is None:
        out.error = f"OCR not available ({_engine_error})"
        return out
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as src:
                size = src.size
                src.draft("RGB", (OCR_SIDE, OCR_SIDE))
                img = src.convert("RGB")
    except UNREADABLE as exc:
        out.error = str(exc) or type(exc).__name__
        return out
    if max(img.size) > OCR_SIDE:
        img.thumbnail((OCR_SIDE, OCR_SIDE), Image.Resampling.BILINEAR)
    fx, fy = size[0] / img.width, size[1] / img.height
    full = np.asarray(img)
    f = min(1.0, DET_SIDE / max(full.shape[:2]))
    dsize = (max(1, round(full.shape[1] * f)), max(1, round(full.shape[0] * f)))
    small = cv2.resize(full, dsize, interpolation=cv2.INTER_AREA) if f < 1 else full
    found, _ = engine(small, use_cls=False, use_rec=False)
    if not found:
        return out
    up = np.array([full.shape[1] / small.shape[1], full.shape[0] / small.shape[0]], np.float32)
    boxes = [np.asarray(b, np.float32) * up for b in found]
    crops = engine.get_crop_img_list(full, boxes)
    texts, _ = engine.text_rec(crops)
    for box, (text, conf, *_) in zip(boxes, texts, strict=True):
        if float(conf) < MIN_CONFIDENCE or not str(text).strip():
            continue
        xs = [p[0] for p in box]
        ys = [p[1] for p in box]
        out.lines.append(
            TextLine(
                str(text).strip(),
                round(float(conf), 3),
                (
                    round(min(xs) * fx),
                    round(min(ys) * fy),
                    round((max(xs) - min(xs)) * fx),
                    round((max(ys) - min(ys)) * fy),
                ),
            )
        )
    return out
