"""Listing photos: URLs in the real CDN shapes, and the JPEGs the sandbox serves at those URLs.

Every photo of a listing has an *image reference* ``ref = listing.index * 16 + photo_number``. The
reference is scrambled into a token that sits where the real CDNs put their file ids, so URLs look
like the platforms' own::

    //g-search1.alicdn.com/img/bao/uploaded/i4/i2/<uid>/O1CN01<token>_!!<uid>-0-item_pic.jpg
    //img.alicdn.com/imgextra/i3/<uid>/O1CN01<token>_!!<uid>.jpg_400x400.jpg
    //img12.360buyimg.com/n7/jfs/t1/<a>/<b>/<c>/<d>/<hex>F<token>/<hex16>.jpg
    //wx3.sinaimg.cn/orj360/<uidhex>gy1h<token><filler>.jpg

A relisted item has its own references (new URLs) but the same pictures (the same bytes), as when a
seller uploads the same photos again. Sizes follow the URL as on the CDNs (``_230x230.jpg``, JD's
``/n7/`` = 220 px, Weibo's ``thumb150`` …), so thumbnails stay cheap; JPEGs are cached in memory
(LRU) and, when a cache folder is given, on disk.
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from threading import Lock

from PIL import Image, ImageDraw

from sandbox import imagegen
from sandbox.catalogue import PhotoSpec

_ALPHA = "0123456789abcdefghijklmnopqrstuvwxyz"
_MOD = 36**8
_MUL = 2_654_435_761 % _MOD | 1


def _inverse(a: int, m: int) -> int:
    return pow(a, -1, m)


_MUL_INV = _inverse(_MUL, _MOD)


def _b36(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 36)
        out.append(_ALPHA[r])
    return "".join(reversed(out))


def _check(core: str, seed: int) -> str:
    return _b36(zlib.crc32(f"{seed}:{core}".encode()), 2)


@lru_cache(maxsize=64)
def _mask(seed: int) -> int:
    return int(hashlib.md5(f"mask:{seed}".encode()).hexdigest()[:10], 16) % _MOD


def encode_ref(ref: int, seed: int) -> str:
    """A 10-character token (lower-case base 36) that stands for ``ref``."""
    mask = _mask(seed)
    core = _b36((ref * _MUL + mask) % _MOD, 8)
    return core + _check(core, seed)


def decode_ref(token: str, seed: int) -> int | None:
    token = token.lower()
    if len(token) != 10 or any(c not in _ALPHA for c in token):
        return None
    core, check = token[:8], token[8:]
    if _check(core, seed) != check:
        return None
    mask = _mask(seed)
    value = (int(core, 36) - mask) % _MOD
    return (value * _MUL_INV) % _MOD


def _filler(token: str, n: int) -> str:
    out = ""
    k = 0
    while len(out) < n:
        out += f"{zlib.crc32(f'{k}:{token}'.encode()):08x}"
        k += 1
    return out[:n]


# --- URL shapes per platform ----------------------------------------------------------------------


def _uid_path(uid: str) -> str:
    return uid if uid.isdigit() else str(int(hashlib.md5(uid.encode()).hexdigest()[:9], 16))


def taobao_search_pic(token: str, uid: str) -> str:
    u = _uid_path(uid)
    h = int(token[:2], 36)
    name = f"O1CN01{token}{_filler(token, 7)}_!!{u}-0-item_pic.jpg"
    return f"//g-search{1 + h % 3}.alicdn.com/img/bao/uploaded/i4/i{1 + h % 4}/{u}/{name}"


def alicdn_pic(token: str, uid: str, host: str = "img.alicdn.com") -> str:
    u = _uid_path(uid)
    h = int(token[:2], 36)
    return f"//{host}/imgextra/i{1 + h % 4}/{u}/O1CN01{token}{_filler(token, 7)}_!!{u}.jpg"


def tmall_list_pic(token: str, uid: str) -> str:
    u = _uid_path(uid)
    h = int(token[:2], 36)
    return f"//img.alicdn.com/bao/uploaded/i{1 + h % 4}/{u}/O1CN01{token}{_filler(token, 7)}_!!0-item_pic.jpg"


def jd_path(token: str) -> str:
    """JD's relative ``jfs/…`` path (prefix it with ``//img1x.360buyimg.com/n1/``)."""
    f = _filler(token, 24)
    h = int(f[:6], 16)
    return (
        f"jfs/t1/{100000 + h % 99999}/{h % 40}/{h % 30000}/{h % 99000 + 1000}/{f[:8]}F{token}/{f[8:24]}.jpg"
    )


def jd_pic(token: str, size: str = "n7") -> str:
    h = int(token[:2], 36)
    return f"//img{10 + h % 5}.360buyimg.com/{size}/{jd_path(token)}"


def weibo_pid(token: str, uid: str) -> str:
    return f"{int(uid) % 0xFFFFFFFF:08x}gy1h{token}j20{_filler(token, 7)}"


def weibo_pic(pid: str, size: str = "orj360") -> str:
    h = int(pid[-2:], 16)
    return f"https://wx{1 + h % 4}.sinaimg.cn/{size}/{pid}.jpg"


#: Hosts whose paths the sandbox answers with JPEGs.
IMAGE_HOST = re.compile(
    r"^(g-search\d\.alicdn\.com|img\.alicdn\.com|gd\d\.alicdn\.com|img\d+\.360buyimg\.com|wx\d\.sinaimg\.cn"
    r"|tvax\d\.sinaimg\.cn)$"
)

#: Weibo's profile pictures: ``tvax1.sinaimg.cn/crop.0.0.180.180.180/<uid hex>ly8g….jpg``.
AVATAR = re.compile(r"^/crop\.\d+\.\d+\.(\d+)\.\d+\.(\d+)/([0-9a-f]{8})ly8g[0-9a-z]*\.jpg$")


def avatar_jpeg(path: str) -> bytes | None:
    """A Weibo profile picture: a plain disc coloured from the account's uid, at the size asked for."""
    m = AVATAR.match(path)
    if m is None:
        return None
    size = max(16, min(int(m.group(2)) or 180, 400))
    uid = int(m.group(3), 16)
    colour = (64 + uid % 160, 64 + (uid >> 8) % 160, 64 + (uid >> 16) % 160)
    img = Image.new("RGB", (size, size), (240, 240, 240))
    ImageDraw.Draw(img).ellipse((size // 8, size // 8, size - size // 8, size - size // 8), fill=colour)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


_ALI_TOKEN = re.compile(r"O1CN01([0-9a-z]{10})")
_ALI_SIZE = re.compile(r"_(\d{2,4})x(\d{2,4})(?:q\d+)?\.jpg")
_JD_TOKEN = re.compile(
    r"^/(n\d+|s\d+x\d+_jfs)/jfs/t1/(?:\d+/){4}[0-9a-f]{8}F([0-9a-z]{10})/[0-9a-f]{16}\.jpg$"
)
_WB_TOKEN = re.compile(r"^/(\w+)/[0-9a-f]{8}gy1h([0-9a-z]{10})j20[0-9a-f]{7}\.(?:jpg|gif)$")
JD_SIZES = {
    "n0": 800,
    "n1": 350,
    "n2": 160,
    "n3": 130,
    "n4": 100,
    "n5": 50,
    "n6": 60,
    "n7": 220,
    "n8": 160,
    "n9": 40,
}
WEIBO_SIZES = {
    "thumb150": 150,
    "thumbnail": 120,
    "orj360": 360,
    "orj480": 480,
    "bmiddle": 440,
    "mw690": 690,
    "mw2000": 800,
    "large": 800,
    "woriginal": 800,
}


def parse_image_path(host: str, path: str) -> tuple[str, int] | None:
    """``(token, pixel size)`` of an image URL on one of the CDN hosts, or None."""
    if host.endswith("alicdn.com"):
        m = _ALI_TOKEN.search(path)
        if not m:
            return None
        s = _ALI_SIZE.search(path)
        if s:
            size = min(int(s.group(1)), 800)
        elif path.endswith("_b.jpg"):
            size = 400
        elif host.startswith("g-search"):
            size = 460
        else:
            size = 800
        return m.group(1), size
    if host.endswith("360buyimg.com"):
        m = _JD_TOKEN.match(path)
        if not m:
            return None
        return m.group(2), JD_SIZES.get(m.group(1), 220)
    if host.endswith("sinaimg.cn"):
        m = _WB_TOKEN.match(path)
        if not m:
            return None
        return m.group(2), WEIBO_SIZES.get(m.group(1), 360)
    return None


# --- drawing ------------------------------------------------------------------------------------


class PhotoStudio:
    """Draws the JPEG for a :class:`PhotoSpec` at a size; LRU in memory, optional disk cache."""

    def __init__(
        self, official: dict[str, list[str]], cache_dir: Path | None = None, max_items: int = 1024
    ) -> None:
        self.official_paths = official
        self.cache_dir = cache_dir
        self.max_items = max_items
        self._lru: OrderedDict[tuple[PhotoSpec, int], bytes] = OrderedDict()
        self._official: dict[tuple[str, int], Image.Image] = {}
        self._lock = Lock()
        self.drawn = 0  # how many JPEGs were drawn (not served from a cache)

    def jpeg(self, spec: PhotoSpec, size: int) -> bytes:
        key = (spec, size)
        with self._lock:
            hit = self._lru.get(key)
            if hit is not None:
                self._lru.move_to_end(key)
                return hit
        disk = None
        if self.cache_dir is not None:
            disk = self.cache_dir / f"{hashlib.sha1(repr(key).encode()).hexdigest()}.jpg"
            if disk.is_file():
                data = disk.read_bytes()
                self._remember(key, data)
                return data
        data = self._draw(spec, size)
        self.drawn += 1
        if disk is not None:
            disk.parent.mkdir(parents=True, exist_ok=True)
            tmp = disk.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(disk)
        self._remember(key, data)
        return data

    def _remember(self, key: tuple[PhotoSpec, int], data: bytes) -> None:
        with self._lock:
            self._lru[key] = data
            while len(self._lru) > self.max_items:
                self._lru.popitem(last=False)

    def _official_image(self, brand: str, index: int) -> Image.Image:
        key = (brand, index)
        img = self._official.get(key)
        if img is None:
            paths = self.official_paths[brand]
            with Image.open(paths[index % len(paths)]) as f:
                img = f.convert("RGB")
            self._official[key] = img
        return img

    def _draw(self, spec: PhotoSpec, size: int) -> bytes:
        quality = 85
        if spec.kind == "official":
            img = self._official_image(spec.brand, spec.official_index).copy()
            for name, value in spec.transforms:
                if name == "crop":
                    w, h = img.size
                    cw, ch = int(w * value), int(h * value)
                    off = int((w - cw) * (0.3 + (value * 7) % 0.4))
                    img = img.crop((off, (h - ch) // 2, off + cw, (h - ch) // 2 + ch))
                elif name == "resize":
                    w, h = img.size
                    img = img.resize(
                        (max(16, int(w * value)), max(16, int(h * value))), Image.Resampling.BILINEAR
                    )
                elif name == "watermark":
                    draw = ImageDraw.Draw(img)
                    w, h = img.size
                    text = f"淘宝店 {int(value)}" if int(value) % 2 else f"VX:{int(value)}"
                    font = imagegen._font(max(12, w // 14))
                    draw.text(
                        (w * 0.55, h * 0.86),
                        text,
                        fill=(255, 255, 255),
                        font=font,
                        anchor="mm",
                        stroke_width=2,
                        stroke_fill=(90, 90, 90),
                    )
                elif name == "quality":
                    quality = int(value)
            img.thumbnail((size, size), Image.Resampling.BILINEAR)
        else:
            if spec.like_brand and spec.like_brand in imagegen.BRAND_LINES:
                base = imagegen.official_style(
                    spec.like_brand, _pick(spec.style_seed, len(imagegen.BRAND_LINES[spec.like_brand]))
                )
                rnd = imagegen.random_style(spec.style_seed, kind=base.kind)
                style = imagegen.Style(
                    kind=base.kind,
                    body=base.body,
                    accent=base.accent,
                    background=rnd.background,
                    label=base.label if spec.style_seed.startswith(("fake", "genuine")) else rnd.label,
                )
            else:
                style = imagegen.random_style(spec.style_seed, kind=spec.product)
            img = imagegen.product_photo(style, spec.photo_seed, size=size)
        buf = io.BytesIO()
        img.convert("RGB").save(buf, format="JPEG", quality=quality)
        return buf.getvalue()


def _pick(seed: str, n: int) -> int:
    return int(hashlib.md5(seed.encode()).hexdigest()[:6], 16) % n
