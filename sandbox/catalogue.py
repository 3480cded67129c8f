"""The sandbox's catalogue: every listing and post the four replayed platforms show, from a seed.

A catalogue is a pure function of ``(seed, size, brands)``: the same arguments give the same listings,
ids, titles, prices, photos and timeline on every machine. It is built lazily (on first use) and
cheaply (about 10 µs a listing), so a server with the default size starts at once and a benchmark
catalogue of 100,000+ slots builds in about a second.

**What is in it**, for each example brand (``configs/brands/*.yaml``):

* counterfeits using every trick of ``shared/docs/domain.md`` — spaced / dotted / dashed letters,
  full-width letters, digit, Cyrillic and Greek look-alikes, homophone and traditional characters,
  pinyin, initials and nicknames, a look-alike mark, the brand replaced by a generic description plus
  the brand's own photos (resized, recompressed, watermarked, cropped), counterfeit vocabulary and
  off-platform contact (加微信, VX, QQ);
* grey-market resellers (genuine goods, not authorised; ``infringing=False``);
* the authorised stores of the brand file and the expired distributor (``tb_778899``, whose
  certificate lapsed: ``infringing=True``, why ``expired-authorisation``);
* plenty of unrelated listings that share words (the brand's ``exclude_terms``, the 高仿真 trap,
  ``1:18`` model cars) or looks (photos styled like the brand's line);
* the same counterfeit operators ("actors") on several platforms, with one WeChat id;
* Weibo posts that sell (加微信 …) and posts that merely mention the brand.

**Time.** The catalogue has an epoch counter (0 at start). Each listing has the epoch it appears, the
epoch it is removed (if ever) and whether it changes price; a removed counterfeit may come back
under a new item id from the same seller with the same photos (``relisted_from``).

**Ground truth** is :meth:`Catalogue.truth`: per listing, platform, item id, brand, infringing, why
(the tricks used), category, seller, actor and status at an epoch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import threading
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

_T = TypeVar("_T")

PLATFORMS = ("taobao", "tmall", "jd", "weibo")

#: The example brands the catalogue is built for by default.
DEFAULT_BRANDS = ("veloria", "corvane")

#: Sandbox clock: epoch ``e`` is ``EPOCH_ZERO + e days`` (used for Weibo post times).
EPOCH_ZERO = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))

#: Every ``why`` tag the catalogue uses, with what it means (the README lists these).
WHY_TAGS: dict[str, str] = {
    "plain-name": "the brand name as registered, on a counterfeit",
    "spaced": "letters spaced out (V E L O R I A)",
    "dotted": "letters separated by dots (V.E.L.O.R.I.A)",
    "dashed": "letters separated by dashes (V-E-L-O-R-I-A)",
    "fullwidth": "full-width Latin letters (ＶＥＬＯＲＩＡ)",
    "digit-lookalike": "digits for letters (0 for O, 1 for I)",
    "cyrillic-lookalike": "Cyrillic look-alike letters",
    "greek-lookalike": "Greek look-alike letters",
    "homophone": "homophone characters in the Chinese name (微 for 薇)",
    "traditional": "traditional characters (亞 for 亚)",
    "pinyin": "the Chinese name in pinyin",
    "initials": "initials or a nickname (V家)",
    "lookalike-mark": "a mark one letter away",
    "generic-description": "no brand name; a generic description plus the brand's photos",
    "official-photos": "the brand's own product photos",
    "photo-resized": "the brand's photo, resized",
    "photo-recompressed": "the brand's photo, recompressed at low quality",
    "photo-watermarked": "the brand's photo with the seller's watermark",
    "photo-cropped": "the brand's photo, cropped",
    "counterfeit-vocabulary": "高仿, 1:1, 原单, 复刻…",
    "off-platform-contact": "加微信, VX, V信, QQ…",
    "low-price": "priced far below the brand's floor",
    "expired-authorisation": "a former distributor whose certificate has lapsed",
    "selling-post": "a Weibo post that sells",
    "grey-market": "genuine goods resold without authorisation (not infringing)",
    "authorised": "an authorised store of the brand file",
    "official-account": "the brand's own Weibo account",
    "mention": "a post that mentions the brand without selling",
    "shares-words": "an unrelated listing sharing a word with the brand",
    "vocabulary-trap": "a harmless phrase that looks like counterfeit vocabulary (高仿真, 1:18)",
    "lookalike-photo": "an unrelated product whose photo looks like the brand's line",
    "contact-without-brand": "off-platform contact on an unrelated post",
    "unrelated": "an unrelated listing in the same category",
}

NAME_TRICKS = (
    "plain-name",
    "spaced",
    "dotted",
    "dashed",
    "fullwidth",
    "digit-lookalike",
    "cyrillic-lookalike",
    "greek-lookalike",
    "homophone",
    "traditional",
    "pinyin",
    "initials",
    "lookalike-mark",
    "generic-description",
)
PHOTO_TRANSFORMS = ("photo-resized", "photo-recompressed", "photo-watermarked", "photo-cropped")

_CYRILLIC = {
    "A": "А",
    "E": "Е",
    "O": "О",
    "C": "С",
    "P": "Р",
    "K": "К",
    "M": "М",
    "T": "Т",
    "H": "Н",
    "B": "В",
}
_GREEK = {"A": "Α", "E": "Ε", "O": "Ο", "I": "Ι", "K": "Κ", "N": "Ν", "T": "Τ", "V": "ν", "R": "Ρ"}
_DIGITS = {"O": "0", "I": "1", "E": "3", "A": "4", "S": "5"}
_HOMOPHONES = {"薇": "微", "洛": "络", "瑞": "睿", "亚": "雅", "科": "可", "尔": "儿", "梵": "凡", "柯": "珂"}
_TRADITIONAL = {
    "亚": "亞",
    "尔": "爾",
    "梵": "梵",
    "瑞": "瑞",
    "薇": "薇",
    "洛": "洛",
    "柯": "柯",
    "科": "科",
}
_PINYIN = {
    "薇": "wei",
    "洛": "luo",
    "瑞": "rui",
    "亚": "ya",
    "科": "ke",
    "尔": "er",
    "梵": "fan",
    "柯": "ke",
}
VOCABULARY = (
    "高仿",
    "精仿",
    "复刻",
    "完美复刻",
    "原单",
    "尾单",
    "A货",
    "1:1",
    "一比一",
    "AAA",
    "专柜品质",
    "原厂",
    "莆田",
    "剪标",
)
CONTACTS = ("加微信", "薇信", "VX", "V信", "QQ", "私聊", "找我代")

_KIND_WORDS = {
    "bag": ("手提包", "斜挎包", "托特包", "女包", "单肩包", "钱包"),
    "shoe": ("女鞋", "乐福鞋", "单鞋", "小皮鞋"),
    "watch": ("机械表", "腕表", "男表", "手表", "自动机械腕表"),
    "bottle": ("香水", "淡香水", "香氛", "古龙水"),
}
_PREFIXES = ("2026新款", "秋冬新款", "爆款", "热卖", "ins风", "百搭", "轻奢", "经典款", "限量", "专柜同款")
_SUFFIXES = ("真皮", "大容量", "送礼", "包邮", "现货", "女士", "男士", "礼盒装", "正品", "顺丰")
_GENERIC_BRANDLESS = ("意大利轻奢", "大牌同款", "欧洲奢品风", "名媛款", "瑞士风格", "小众设计师款")
_LOCATIONS = (
    "浙江 杭州",
    "广东 广州",
    "广东 深圳",
    "福建 莆田",
    "上海",
    "北京",
    "江苏 苏州",
    "浙江 义乌",
    "广东 东莞",
    "四川 成都",
)
_NAME_STEMS = (
    "阿美",
    "小鹿",
    "潮品",
    "优选",
    "名品汇",
    "奢享",
    "唯品",
    "蜜桃",
    "星辰",
    "海淘",
    "尚品",
    "美妞",
    "小王",
    "精品",
    "环球",
    "尖货",
    "珍品",
    "欧尚",
    "时尚汇",
    "小燕",
)
_SOURCES = ("iPhone客户端", "微博 weibo.com", "HUAWEI Mate 60", "小米14 Ultra", "微博视频号", "OPPO Find X7")
_MENTIONS = (
    "今天在专柜看到{name}的新款，好看但是买不起",
    "{name}秋冬系列发布会 #时装周# 现场太美了",
    "终于入手了{name}，官方旗舰店买的，开心",
    "有没有人知道{name}在国内哪里有专柜？",
    "{name}这个颜色也太好看了吧[心]",
    "分享一下我的{name}使用感受，质感真的不错",
)
_UNRELATED_POSTS = (
    "面膜到货啦 {contact} 私聊拿货",
    "代购日本药妆 {contact}",
    "今天天气不错，出去走走",
    "新买的{word}，大家觉得怎么样",
)


class _Rng(random.Random):
    """``random.Random`` with cheaper ``choice`` / ``randint`` / ``randrange`` (one ``random()`` call each).

    The catalogue draws a few dozen numbers a listing; the stdlib versions' rejection sampling made
    them a third of the build time.
    """

    def choice(self, seq: Sequence[_T]) -> _T:  # type: ignore[override]
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if stop is None:
            return int(self.random() * start)
        return start + int(self.random() * (stop - start))


def _hash(*parts: object) -> int:
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=8).digest(), "big")


@dataclass(frozen=True, slots=True)
class PhotoSpec:
    """How to draw one photo: a synthetic product photo, or a transformed copy of an official one."""

    kind: str  # synthetic | official
    brand: str = ""
    official_index: int = 0
    style_seed: str = ""
    product: str = "bag"
    photo_seed: str = ""
    like_brand: str = ""  # synthetic photos styled like this brand's line (counterfeits, look-alikes)
    transforms: tuple[tuple[str, float], ...] = ()


@dataclass(slots=True)
class Seller:
    platform: str
    seller_id: str  # taobao/tmall user id, JD shop id, Weibo uid
    name: str
    location: str
    actor: str  # who runs it: one actor may have accounts on several platforms
    shop_id: str = ""
    vender_id: str = ""
    wechat: str = ""
    verified: bool = False


@dataclass(slots=True)
class Listing:
    index: int
    slot: int  # the catalogue slot it comes from (a relist shares its original's slot)
    platform: str
    item_id: str
    brand: str | None
    category: str
    infringing: bool
    why: tuple[str, ...]
    seller: Seller
    title: str
    base_price: float
    photos: tuple[PhotoSpec, ...]
    terms: frozenset[str]
    product: str = "bag"
    born: int = 0
    removed: int | None = None
    removal: str = "notfound"  # notfound | offshelf: what the item page shows once removed
    relisted_from: str | None = None
    volatile: bool = False
    sales: int = 0
    reviews: int = 0
    posted: dt.datetime = EPOCH_ZERO
    reposts: int = 0
    comments: int = 0
    likes: int = 0
    source: str = ""
    bid: str = ""
    sku_id: str = ""
    cache: dict[str, Any] = field(
        default_factory=dict, compare=False, repr=False
    )  # renderers' per-listing parts

    def live(self, epoch: int) -> bool:
        return self.born <= epoch and (self.removed is None or epoch < self.removed)

    def status(self, epoch: int) -> str:
        if epoch < self.born:
            return "pending"
        return "live" if self.live(epoch) else "removed"

    def price(self, epoch: int) -> float:
        if not self.volatile or epoch <= 0:
            return self.base_price
        factor = (1.0, 0.9, 1.05, 0.85, 1.12)[_hash("price", self.index, epoch) % 5]
        return round(self.base_price * factor, 2)

    def sales_at(self, epoch: int) -> int:
        return self.sales + max(0, epoch - self.born) * (self.sales // 20 + 1)

    @property
    def url(self) -> str:
        """The canonical URL on the real platform."""
        if self.platform == "taobao":
            return f"https://item.taobao.com/item.htm?id={self.item_id}"
        if self.platform == "tmall":
            return f"https://detail.tmall.com/item.htm?id={self.item_id}"
        if self.platform == "jd":
            return f"https://item.jd.com/{self.item_id}.html"
        return f"https://weibo.com/{self.seller.seller_id}/{self.bid}"

    @property
    def title_norm(self) -> str:
        return normalise(self.title)

    def truth(self, epoch: int) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "item_id": self.item_id,
            "url": self.url,
            "brand": self.brand,
            "infringing": self.infringing,
            "why": list(self.why),
            "category": self.category,
            "seller_id": self.seller.seller_id,
            "seller": self.seller.name,
            "actor": self.seller.actor,
            "title": self.title,
            "price": None if self.platform == "weibo" else self.price(epoch),
            "status": self.status(epoch),
            "relisted_from": self.relisted_from,
            "born": self.born,
            "removed": self.removed,
            "terms": sorted(self.terms),
            "kind": "post" if self.platform == "weibo" else "listing",
            **({"text": full_text(self)} if self.platform == "weibo" else {}),
        }


def full_text(x: Listing) -> str:
    """A Weibo post's whole text: its title, and for about a third of the posts (the *long* ones) a
    second part that search cards and ``/ajax/statuses/show`` cut off and ``/ajax/statuses/longtext``
    gives whole (issue 10). The second part may carry the seller's WeChat id."""
    if x.platform != "weibo" or _hash("long", x.index) % 3:
        return x.title
    contact = f"，款式多多私聊，V信 {x.seller.wechat}" if x.seller.wechat else "，细节见图，欢迎评论区交流"
    text = f"{x.title}\n【详情】做工、五金、走线都仔细对比过了{contact}。"
    while len(text) <= 150:  # Weibo cuts a post at 140 characters
        text += "喜欢的宝子们抓紧，数量有限，售完即止。"
    return text


def is_long(x: Listing) -> bool:
    return full_text(x) != x.title


@dataclass(slots=True)
class Account:
    """A Weibo account named after a brand, as the account search (``s.weibo.com/user?q=``) lists it."""

    uid: str
    nick: str
    brand: str
    category: str  # authorised | impostor-account | expired-distributor | fan-account
    infringing: bool
    why: tuple[str, ...]
    verified: bool
    description: str
    followers: int
    posts: int
    location: str
    terms: frozenset[str]

    @property
    def url(self) -> str:
        return f"https://weibo.com/u/{self.uid}"

    def truth(self, epoch: int) -> dict[str, Any]:
        return {
            "platform": "weibo",
            "kind": "account",
            "item_id": self.uid,
            "url": self.url,
            "brand": self.brand,
            "infringing": self.infringing,
            "why": list(self.why),
            "category": self.category,
            "seller_id": self.uid,
            "seller": self.nick,
            "actor": f"account:{self.uid}",
            "title": self.nick,
            "description": self.description,
            "verified": self.verified,
            "price": None,
            "status": "live",
            "relisted_from": None,
            "born": 0,
            "removed": None,
            "terms": sorted(self.terms),
        }


def normalise(text: str) -> str:
    """How the sandbox's search engine compares a query with a title: lower case, no spaces."""
    return "".join(text.lower().split())


@dataclass
class BrandFacts:
    """What the catalogue needs from one brand file."""

    slug: str
    latin: str
    chinese: list[str]
    terms: list[str]
    products: list[str]  # product kinds of its official line, one per official photo
    official_photos: list[str]
    retail: tuple[float, float]
    floor: float
    exclude: list[str]
    authorised: list[tuple[str, str, str, bool]]  # platform, seller id, name, lapsed
    weibo_official: str | None = None

    @classmethod
    def load(cls, slug: str) -> BrandFacts:
        from markwatch.brand import resolve_brand
        from sandbox import imagegen

        brand = resolve_brand(slug)
        latin = next((m.text for m in brand.marks if m.text and m.text.isascii()), brand.name.upper())
        chinese = [n for m in brand.marks for n in m.names if not n.isascii()]
        lines = imagegen.BRAND_LINES.get(brand.slug)
        products = [line[0] for line in lines] if lines else ["bag"] * max(1, len(brand.reference_images))
        floor = float(brand.price_floor.get("CNY", 1000.0)) if brand.price_floor else 1000.0
        today = dt.date(2026, 11, 2)
        authorised = [
            (s.platform.value, s.seller_id, s.name or s.seller_id, not s.authorised_on(today))
            for s in brand.authorized_sellers
        ]
        weibo = next((s for s in authorised if s[0] == "weibo"), None)
        return cls(
            slug=brand.slug,
            latin=latin.upper(),
            chinese=chinese or [brand.name],
            terms=list(brand.search_terms),
            products=products,
            official_photos=[str(p) for p in brand.reference_images],
            retail=(floor * 2.0, floor * 7.0),
            floor=floor,
            exclude=list(brand.exclude_terms),
            authorised=authorised,
            weibo_official=weibo[1] if weibo else None,
        )


def brand_forms(facts: BrandFacts, trick: str, rng: random.Random) -> str:
    """The brand's name as a seller using ``trick`` writes it."""
    latin, zh = facts.latin, facts.chinese[0]
    if trick == "plain-name":
        return rng.choice([latin, zh, f"{latin}/{zh}", latin.capitalize()])
    if trick == "spaced":
        return " ".join(latin)
    if trick == "dotted":
        return ".".join(latin)
    if trick == "dashed":
        return "-".join(latin)
    if trick == "fullwidth":
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in latin)
    if trick == "digit-lookalike":
        out = "".join(_DIGITS.get(c, c) if c in "OI" else c for c in latin)
        return out if out != latin else latin.replace("E", "3", 1)
    if trick == "cyrillic-lookalike":
        return "".join(_CYRILLIC.get(c, c) for c in latin)
    if trick == "greek-lookalike":
        return "".join(_GREEK.get(c, c) for c in latin)
    if trick == "homophone":
        chars = list(zh)
        spots = [i for i, c in enumerate(chars) if c in _HOMOPHONES] or [0]
        for i in rng.sample(spots, k=min(len(spots), rng.randint(1, 2))):
            chars[i] = _HOMOPHONES.get(chars[i], chars[i])
        return "".join(chars)
    if trick == "traditional":
        converted = "".join(_TRADITIONAL.get(c, c) for c in zh)
        if converted == zh:  # no traditional form differs: write the simplified 尔/亚 forms we know
            converted = zh.replace("尔", "爾").replace("亚", "亞")
        return converted
    if trick == "pinyin":
        syllables = [_PINYIN.get(c, "") for c in zh]
        joined = "".join(syllables) if all(syllables) else latin.lower()
        return rng.choice([joined, " ".join(s for s in syllables if s), joined.capitalize()])
    if trick == "initials":
        return rng.choice([f"{latin[0]}家", f"{zh[0]}家", f"{latin[0]}{latin[-1]}家", f"小{latin[0]}"])
    if trick == "lookalike-mark":
        i = rng.randrange(1, len(latin) - 1)
        swap = {"O": "U", "A": "E", "E": "A", "I": "L", "R": "P", "N": "M", "V": "W", "L": "I"}
        return latin[:i] + swap.get(latin[i], "X") + latin[i + 1 :]
    raise ValueError(trick)


class IdMaker:
    """Unique, deterministic platform ids."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.used: set[tuple[str, str]] = set()

    def make(self, space: str, lo: int, hi: int, *parts: object) -> str:
        n = lo + _hash(self.seed, space, *parts) % (hi - lo)
        while (space, str(n)) in self.used:
            n = lo + (n + 7919 - lo) % (hi - lo)
        self.used.add((space, str(n)))
        return str(n)


_B62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _b62(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 62)
        out.append(_B62[r])
    return "".join(reversed(out))


@dataclass
class _Actor:
    key: str
    stem: str
    wechat: str
    location: str
    products: dict[str, list[PhotoSpec]] = field(default_factory=dict)
    sellers: dict[str, Seller] = field(default_factory=dict)


class Catalogue:
    """All listings of a sandbox, deterministic in ``seed``; ``size`` is the number of catalogue slots.

    Each slot is one listing or post at epoch 0 (or appearing later); relists are added on top, so
    ``len(catalogue.listings)`` is a little larger than ``size``.
    """

    def __init__(self, seed: int = 1, size: int = 600, brands: Sequence[str] = DEFAULT_BRANDS) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.seed = seed
        self.size = size
        self.brand_slugs = tuple(brands)
        self._lock = threading.Lock()
        self._built = False
        self._listings: list[Listing] = []
        self._by_id: dict[tuple[str, str], Listing] = {}
        self._by_platform: dict[str, list[Listing]] = {p: [] for p in PLATFORMS}
        self._term_index: dict[tuple[str, str], list[Listing]] = {}
        self._rank_cache: dict[str, tuple[list[Listing], list[str]]] = {}
        self._accounts: list[Account] = []

    # --- public API ------------------------------------------------------------------------------

    @property
    def listings(self) -> list[Listing]:
        self.build()
        return self._listings

    def get(self, platform: str, item_id: str) -> Listing | None:
        self.build()
        return self._by_id.get((platform, str(item_id)))

    def by_platform(self, platform: str) -> list[Listing]:
        self.build()
        return self._by_platform[platform]

    def search(self, platform: str, query: str) -> list[Listing]:
        """Every listing of ``platform`` the query finds (at any epoch), in the platform's stable order.

        Tmall listings are also found by a Taobao search (flagged ``isTmall`` there), as on the real
        site.
        """
        self.build()
        q = normalise(query)
        if not q:
            return []
        key = (platform, q)
        with self._lock:
            hit = self._term_index.get(key)
        if hit is not None:
            return hit
        pool, norms = self._ranked(platform)
        found = [x for x, title in zip(pool, norms, strict=True) if q in x.terms or q in title]
        with self._lock:
            if len(self._term_index) > 512:
                self._term_index.clear()
            self._term_index[key] = found
        return found

    @property
    def accounts(self) -> list[Account]:
        """Weibo accounts named after the brands (the brand's own, an impostor, a lapsed distributor's,
        fans), found by the account search ``s.weibo.com/user?q=``."""
        self.build()
        return self._accounts

    def search_accounts(self, query: str) -> list[Account]:
        q = normalise(query)
        if not q:
            return []
        return [a for a in self.accounts if q in a.terms or q in normalise(a.nick)]

    def _ranked(self, platform: str) -> tuple[list[Listing], list[str]]:
        """The pool a search on ``platform`` scans, in the (seeded) ranking, with normalised titles.

        Computed once per platform: a search keeps the matches in this order, so it needs no sort.
        """
        hit = self._rank_cache.get(platform)
        if hit is None:
            pool = self._by_platform[platform] + (self._by_platform["tmall"] if platform == "taobao" else [])
            salt = zlib.crc32(f"rank:{self.seed}".encode())
            pool = sorted(pool, key=lambda x: (((x.index * 2654435761) ^ salt) * 40503) & 0xFFFFFFFF)
            hit = (pool, [normalise(x.title) for x in pool])
            self._rank_cache[platform] = hit
        return hit

    def truth(
        self,
        epoch: int = 0,
        platform: str | None = None,
        brand: str | None = None,
        include_pending: bool = False,
    ) -> list[dict[str, Any]]:
        """Ground truth: one dict per listing (see :meth:`Listing.truth`)."""
        rows = []
        for x in self.listings:
            if platform is not None and x.platform != platform:
                continue
            if brand is not None and x.brand != brand:
                continue
            if not include_pending and epoch < x.born:
                continue
            rows.append(x.truth(epoch))
        if platform in (None, "weibo"):
            rows.extend(a.truth(epoch) for a in self.accounts if brand in (None, a.brand))
        return rows

    def summary(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for x in self.listings:
            counts[x.category] = counts.get(x.category, 0) + 1
        return {
            "seed": self.seed,
            "size": self.size,
            "listings": len(self.listings),
            "brands": list(self.brand_slugs),
            "by_platform": {p: len(v) for p, v in self._by_platform.items()},
            "by_category": dict(sorted(counts.items())),
            "infringing": sum(1 for x in self.listings if x.infringing),
        }

    def photo(self, ref: int) -> PhotoSpec | None:
        """The photo behind an image reference (see :func:`image_ref`)."""
        self.build()
        index, j = divmod(ref, 16)
        if not 0 <= index < len(self._listings):
            return None
        photos = self._listings[index].photos
        return photos[j] if j < len(photos) else None

    # --- building --------------------------------------------------------------------------------

    @cached_property
    def facts(self) -> dict[str, BrandFacts]:
        return {slug: BrandFacts.load(slug) for slug in self.brand_slugs}

    def build(self) -> None:
        if self._built:
            return
        with self._lock:
            if self._built:
                return
            builder = _Builder(self)
            builder.run()
            self._accounts = builder.accounts()
            self._built = True


class _Builder:
    def __init__(self, cat: Catalogue) -> None:
        self.cat = cat
        self.seed = cat.seed
        self.ids = IdMaker(cat.seed)
        self.facts = cat.facts
        self.slugs = list(self.facts)
        n_actors = max(4, cat.size // 30)
        self.actors = [self._actor(i) for i in range(n_actors)]
        self.fixed: dict[tuple[str, str], Seller] = {}
        self.terms = {slug: frozenset(normalise(t) for t in f.terms) for slug, f in self.facts.items()}

    # sellers --------------------------------------------------------------------------------------

    def _actor(self, i: int) -> _Actor:
        rng = _Rng(f"actor:{self.seed}:{i}")
        stem = rng.choice(_NAME_STEMS) + rng.choice(("", "家", "姐", "哥", "小店", "屋"))
        wechat = f"{rng.choice(('lux', 'ms', 'dg', 'vip', 'hk', 'shop'))}{rng.randint(100, 9999)}"
        return _Actor(key=f"actor-{i}", stem=stem, wechat=wechat, location=rng.choice(_LOCATIONS))

    def seller_for(self, actor: _Actor, platform: str, rng: random.Random) -> Seller:
        s = actor.sellers.get(platform)
        if s is not None:
            return s
        s = self._new_seller(platform, actor.stem, actor.key, actor.location, rng, wechat=actor.wechat)
        actor.sellers[platform] = s
        return s

    def _new_seller(
        self,
        platform: str,
        stem: str,
        actor: str,
        location: str,
        rng: random.Random,
        wechat: str = "",
        name: str | None = None,
        seller_id: str | None = None,
    ) -> Seller:
        if platform in ("taobao", "tmall"):
            sid = seller_id or self.ids.make("user", 100_000_000, 3_999_999_999, platform, actor, stem)
            shop = self.ids.make("shop", 10_000_000, 599_999_999, platform, actor, stem)
            default = (
                stem + rng.choice(("小铺", "精品店", "潮牌馆", "海外代购", "的店"))
                if platform == "taobao"
                else stem + rng.choice(("旗舰店", "专营店", "官方旗舰店"))
            )
            return Seller(platform, sid, name or default, location, actor, shop_id=shop, wechat=wechat)
        if platform == "jd":
            sid = seller_id or self.ids.make("jdshop", 100_000, 99_999_999, actor, stem)
            vender = self.ids.make("jdvender", 100_000, 9_999_999, actor, stem)
            return Seller(
                platform,
                sid,
                name or stem + rng.choice(("京东店", "专营店", "旗舰店")),
                location,
                actor,
                shop_id=sid,
                vender_id=vender,
                wechat=wechat,
            )
        uid = seller_id or self.ids.make("uid", 5_000_000_000, 7_999_999_999, actor, stem)
        default = stem + rng.choice(("", "_", "-")) + rng.choice(("全球购", "代购", "vip", "的日常", "好物"))
        return Seller(platform, uid, name or default, location, actor, wechat=wechat)

    def fixed_seller(self, platform: str, seller_id: str, name: str, rng: random.Random) -> Seller:
        key = (platform, seller_id)
        s = self.fixed.get(key)
        if s is None:
            s = self._new_seller(
                platform,
                name,
                f"seller:{platform}:{seller_id}",
                rng.choice(("上海", "北京", "浙江 杭州")),
                rng,
                name=name,
                seller_id=seller_id,
            )
            s.verified = True
            self.fixed[key] = s
        return s

    # photos ---------------------------------------------------------------------------------------

    def official(
        self, facts: BrandFacts, rng: random.Random, transforms: int
    ) -> tuple[PhotoSpec, tuple[str, ...]]:
        idx = rng.randrange(len(facts.official_photos))
        chosen = rng.sample(PHOTO_TRANSFORMS, k=transforms) if transforms else []
        params: list[tuple[str, float]] = []
        for t in chosen:
            if t == "photo-resized":
                params.append(("resize", rng.uniform(0.45, 0.8)))
            elif t == "photo-recompressed":
                params.append(("quality", float(rng.randint(18, 45))))
            elif t == "photo-watermarked":
                params.append(("watermark", float(rng.randint(0, 9999))))
            else:
                params.append(("crop", rng.uniform(0.72, 0.9)))
        spec = PhotoSpec(
            "official",
            brand=facts.slug,
            official_index=idx,
            product=facts.products[idx],
            transforms=tuple(params),
        )
        return spec, tuple(chosen)

    def synthetic(self, product: str, style_seed: str, photo_seed: str, like: str = "") -> PhotoSpec:
        return PhotoSpec(
            "synthetic", style_seed=style_seed, product=product, photo_seed=photo_seed, like_brand=like
        )

    # listings -------------------------------------------------------------------------------------

    def run(self) -> None:
        cat = self.cat
        plan = self._plan()
        for slot in range(cat.size):
            rng = _Rng(_hash(self.seed, "slot", slot))
            if slot < len(plan):
                brand, category, platform, trick = plan[slot]
            else:
                brand, category, platform, trick = self._draw(rng)
            x = self._make(slot, rng, brand, category, platform, trick)
            self._add(x)
            if x.removed is not None and x.category in ("counterfeit", "selling-post") and rng.random() < 0.6:
                self._add(self._relist(x, rng))

    def accounts(self) -> list[Account]:
        """The brand-named Weibo accounts (built after the listings, so listing ids do not move)."""
        out: list[Account] = []
        for slug, f in self.facts.items():
            rng = _Rng(f"accounts:{self.seed}:{slug}")
            terms = self.terms[slug]
            zh, latin = f.chinese[0], f.latin
            lapsed = next((a for a in f.authorised if a[3]), None)

            def uid(kind: str) -> str:
                return self.ids.make("acct", 8_000_000_000, 8_999_999_999, slug, kind)  # noqa: B023

            if f.weibo_official:
                name = next(a[2] for a in f.authorised if a[0] == "weibo")
                out.append(
                    Account(
                        f.weibo_official,
                        name,
                        slug,
                        "authorised",
                        False,
                        ("official-account",),
                        True,
                        f"{latin} {zh} 官方微博，唯一官方账号",
                        80_000 + rng.randint(0, 9999),
                        900 + rng.randint(0, 99),
                        "上海",
                        terms,
                    )
                )
            out.append(
                Account(
                    uid("impostor"),
                    f"{latin}{zh}官方旗舰店",
                    slug,
                    "impostor-account",
                    True,
                    ("impersonation", "official-claim", "off-platform-contact"),
                    False,
                    f"{zh}官方正品 专柜同款 加V: {latin.lower()}{rng.randint(100, 999)}",
                    3_000 + rng.randint(0, 999),
                    120 + rng.randint(0, 99),
                    "广东 广州",
                    terms,
                )
            )
            if lapsed is not None:
                out.append(
                    Account(
                        uid("lapsed"),
                        f"{lapsed[2]}（{zh}官方授权）",
                        slug,
                        "expired-distributor",
                        True,
                        ("expired-authorisation", "official-claim"),
                        False,
                        f"{zh}官方授权经销商（授权书见置顶）",
                        5_000 + rng.randint(0, 999),
                        300 + rng.randint(0, 99),
                        "浙江 杭州",
                        terms,
                    )
                )
            for k, nick in enumerate((f"{zh}爱好者", f"{latin.lower()}_fan{rng.randint(10, 99)}")):
                out.append(
                    Account(
                        uid(f"fan{k}"),
                        nick,
                        slug,
                        "fan-account",
                        False,
                        (),
                        False,
                        f"喜欢{zh}的普通用户，不卖货",
                        100 + rng.randint(0, 900),
                        40 + rng.randint(0, 99),
                        "北京",
                        terms,
                    )
                )
        return out

    def _plan(self) -> list[tuple[str, str, str, str]]:
        """Slots every catalogue starts with (so that even a small one has every kind and trick)."""
        plan: list[tuple[str, str, str, str]] = []
        for slug, facts in self.facts.items():
            for p, _sid, _name, lapsed in facts.authorised:
                plan.append((slug, "expired-distributor" if lapsed else "authorised", p, ""))
        for k, trick in enumerate(NAME_TRICKS):
            for j, slug in enumerate(self.slugs):
                plan.append((slug, "counterfeit", ("taobao", "jd", "taobao", "tmall")[(k + j) % 4], trick))
        for slug in self.slugs:
            plan += [
                (slug, "selling-post", "weibo", "plain-name"),
                (slug, "selling-post", "weibo", "homophone"),
                (slug, "selling-post", "weibo", "generic-description"),
                (slug, "mention-post", "weibo", ""),
                (slug, "mention-post", "weibo", ""),
                (slug, "grey", "taobao", ""),
                (slug, "grey", "jd", ""),
                (slug, "lookalike", "taobao", ""),
                (slug, "lookalike", "jd", ""),
                (slug, "vocabulary-trap", "taobao", ""),
                (slug, "contact-post", "weibo", ""),
            ]
            plan += [(slug, "shares-words", ("taobao", "tmall", "jd", "weibo")[i % 4], "") for i in range(4)]
        return plan

    def _draw(self, rng: random.Random) -> tuple[str, str, str, str]:
        brand = rng.choice(self.slugs)
        r = rng.random()
        if r < 0.28:
            platform = rng.choices(("taobao", "tmall", "jd"), (0.6, 0.1, 0.3))[0]
            return brand, "counterfeit", platform, rng.choice(NAME_TRICKS)
        if r < 0.36:
            return brand, "selling-post", "weibo", rng.choice(NAME_TRICKS)
        if r < 0.45:
            return brand, "mention-post", "weibo", ""
        if r < 0.49:
            return brand, "contact-post", "weibo", ""
        if r < 0.54:
            return brand, "grey", rng.choice(("taobao", "jd", "taobao")), ""
        if r < 0.57:
            facts = self.facts[brand]
            auth = rng.choice(facts.authorised)
            return brand, ("expired-distributor" if auth[3] else "authorised"), auth[0], ""
        if r < 0.65:
            return brand, "shares-words", rng.choice(PLATFORMS), ""
        if r < 0.72:
            return brand, "lookalike", rng.choice(("taobao", "tmall", "jd")), ""
        if r < 0.75:
            return brand, "vocabulary-trap", rng.choice(("taobao", "jd")), ""
        return brand, "unrelated", rng.choices(PLATFORMS, (0.4, 0.2, 0.25, 0.15))[0], ""

    def _item_id(self, platform: str, *parts: object) -> str:
        if platform in ("taobao", "tmall"):
            return self.ids.make("nid", 520_000_000_000, 799_999_999_999, *parts)
        if platform == "jd":
            return self.ids.make("sku", 10_000_000_000, 100_099_999_999, *parts)
        return self.ids.make("mid", 4_900_000_000_000_000, 5_099_999_999_999_999, *parts)

    def _make(
        self, slot: int, rng: random.Random, brand: str, category: str, platform: str, trick: str
    ) -> Listing:
        facts = self.facts[brand]
        product_i = rng.randrange(len(facts.products))
        product = facts.products[product_i]
        word = rng.choice(_KIND_WORDS.get(product, _KIND_WORDS["bag"]))
        brand_terms = self.terms[brand]
        why: list[str] = []
        photos: list[PhotoSpec] = []
        infringing = False
        brand_of: str | None = brand
        price = 0.0
        lo, hi = facts.retail
        if category in ("counterfeit", "selling-post"):
            actor = self.actors[rng.randrange(len(self.actors))]
            seller = self.seller_for(actor, platform, rng)
            infringing = True
            why.append(trick)
            name = "" if trick == "generic-description" else brand_forms(facts, trick, rng)
            if trick == "generic-description":
                name = rng.choice(_GENERIC_BRANDLESS)
            parts = [rng.choice(_PREFIXES), name, word]
            if rng.random() < 0.6 or category == "selling-post":
                parts.append(rng.choice(VOCABULARY))
                why.append("counterfeit-vocabulary")
            parts.append(rng.choice(_SUFFIXES))
            if rng.random() < 0.35 or category == "selling-post":
                contact = rng.choice(CONTACTS)
                parts.append(f"{contact} {actor.wechat}" if contact not in ("私聊", "找我代") else contact)
                why.append("off-platform-contact")
            title = " ".join(p for p in parts if p)
            if trick == "generic-description" or rng.random() < 0.45:
                n_official = rng.randint(1, 3)
                for k in range(n_official):
                    spec, used = self.official(facts, rng, rng.randint(0 if k else 1, 2))
                    photos.append(spec)
                    why.extend(u for u in used if u not in why)
                why.insert(1, "official-photos")
            else:
                key = f"{brand}:{product}:{rng.randrange(3)}"
                base = actor.products.setdefault(
                    key,
                    [
                        self.synthetic(
                            product, f"fake:{self.seed}:{actor.key}:{key}", f"{actor.key}:{key}:{k}", brand
                        )
                        for k in range(3)
                    ],
                )
                photos.extend(base[: rng.randint(1, 3)])
            price = round(rng.uniform(0.04, 0.35) * facts.floor, 2) if category == "counterfeit" else 0.0
            if category == "counterfeit":
                why.append("low-price")
            if category == "selling-post":
                why.append("selling-post")
                title = self._post_text(rng, title, actor.wechat)
        elif category in ("authorised", "expired-distributor"):
            auth = next(
                a for a in facts.authorised if a[0] == platform and (a[3] == (category != "authorised"))
            )
            seller = self.fixed_seller(platform, auth[1], auth[2], rng)
            infringing = category == "expired-distributor"
            why.append("expired-authorisation" if infringing else "authorised")
            if platform == "weibo":
                why = ["official-account"] if not infringing else why
                zh = facts.chinese[0]
                title = f"{facts.latin}{zh} {rng.choice(_PREFIXES)}{word}系列 全新上市 #{zh}#"
            else:
                title = (
                    f"{facts.latin}/{facts.chinese[0]} {rng.choice(_PREFIXES)} {word} {rng.choice(_SUFFIXES)}"
                )
                if infringing:
                    title = f"{facts.chinese[0]}官方授权 {facts.latin} 正品 {word} 专柜"
            spec, _ = self.official(facts, rng, 0)
            photos.append(spec)
            if rng.random() < 0.5:
                spec2, _ = self.official(facts, rng, 0)
                if spec2 != spec:
                    photos.append(spec2)
            price = round(rng.uniform(lo, hi), 0)
        elif category == "grey":
            seller = self._new_seller(
                platform, rng.choice(_NAME_STEMS), f"grey-{slot}", rng.choice(_LOCATIONS), rng
            )
            why.append("grey-market")
            title = (
                f"{rng.choice(('【代购】', '欧洲直邮', '海外代购', '香港专柜'))} "
                f"{facts.latin} {facts.chinese[0]} "
                f"{word} 正品 {rng.choice(('专柜小票', '支持验货', '现货'))}"
            )
            photos.append(self.synthetic(product, f"genuine:{brand}:{product_i}", f"grey:{slot}", brand))
            price = round(rng.uniform(0.8, 1.1) * lo, 0)
        elif category == "mention-post":
            seller = self._new_seller(
                "weibo", rng.choice(_NAME_STEMS), f"fan-{slot}", rng.choice(_LOCATIONS), rng
            )
            why.append("mention")
            name = rng.choice([facts.latin, facts.chinese[0], facts.latin.capitalize()])
            title = rng.choice(_MENTIONS).format(name=name)
            if rng.random() < 0.6:
                photos.append(self.synthetic(product, f"genuine:{brand}:{product_i}", f"fan:{slot}", brand))
        elif category == "contact-post":
            seller = self._new_seller(
                "weibo", rng.choice(_NAME_STEMS), f"wx-{slot}", rng.choice(_LOCATIONS), rng
            )
            why.append("contact-without-brand")
            title = rng.choice(_UNRELATED_POSTS[:2]).format(
                contact=f"{rng.choice(CONTACTS[:4])} mm{rng.randint(100, 999)}"
            )
            photos.append(self.synthetic("bottle", f"misc:{slot}", f"misc:{slot}"))
            brand_of = None
        elif category == "shares-words":
            seller = self._new_seller(
                platform, rng.choice(_NAME_STEMS), f"other-{slot}", rng.choice(_LOCATIONS), rng
            )
            word2 = rng.choice(facts.exclude) if facts.exclude else "同款"
            why.append("shares-words")
            title = f"{word2} {rng.choice(_PREFIXES)} {word} {rng.choice(_SUFFIXES)}"
            if platform == "weibo":
                title = rng.choice(_UNRELATED_POSTS[2:]).format(word=f"{word2}{word}")
            photos.append(self.synthetic(product, f"other:{slot}", f"other:{slot}"))
            price = round(rng.uniform(30, 600), 2)
            brand_of = None
        elif category == "vocabulary-trap":
            seller = self._new_seller(
                platform, rng.choice(_NAME_STEMS), f"trap-{slot}", rng.choice(_LOCATIONS), rng
            )
            why.append("vocabulary-trap")
            title = rng.choice(
                (
                    f"高仿真 绿植 盆栽 客厅装饰 {rng.choice(_SUFFIXES)}",
                    f"1:18 合金 车模 收藏 {rng.choice(('corvette', 'porsche', 'bmw'))}",
                    f"高仿真 {word} 模型 道具 拍摄用",
                )
            )
            photos.append(self.synthetic(product, f"trap:{slot}", f"trap:{slot}"))
            price = round(rng.uniform(20, 400), 2)
            brand_of = None
        elif category == "lookalike":
            seller = self._new_seller(
                platform, rng.choice(_NAME_STEMS), f"look-{slot}", rng.choice(_LOCATIONS), rng
            )
            why.append("lookalike-photo")
            own = rng.choice(("原创设计", "小众品牌", "自有品牌"))
            title = f"{rng.choice(_PREFIXES)} {word} {own} {rng.choice(_SUFFIXES)}"
            photos.append(self.synthetic(product, f"look:{slot}", f"look:{slot}", brand))
            price = round(rng.uniform(0.05, 0.5) * facts.floor, 2)
            brand_of = None
        else:  # unrelated
            seller = self._new_seller(
                platform, rng.choice(_NAME_STEMS), f"misc-{slot}", rng.choice(_LOCATIONS), rng
            )
            why.append("unrelated")
            title = f"{rng.choice(_PREFIXES)} {word} {rng.choice(_SUFFIXES)} {rng.choice(_SUFFIXES)}"
            if platform == "weibo":
                title = rng.choice(_UNRELATED_POSTS[2:]).format(word=word)
            photos.append(self.synthetic(product, f"misc:{slot}", f"misc:{slot}"))
            price = round(rng.uniform(30, 900), 2)
            brand_of = None

        if platform == "weibo":
            price = 0.0
        item_id = self._item_id(platform, slot, 0)
        born = 0 if rng.random() < 0.88 else rng.randint(1, 5)
        removed: int | None = None
        if infringing and category != "expired-distributor" and rng.random() < 0.35:
            removed = born + rng.randint(1, 4)
        elif rng.random() < 0.04:
            removed = born + rng.randint(1, 6)
        x = Listing(
            index=-1,
            slot=slot,
            platform=platform,
            item_id=item_id,
            brand=brand_of if brand_of is not None and category not in ("contact-post",) else None,
            category=category,
            infringing=infringing,
            why=tuple(why),
            seller=seller,
            title=title,
            base_price=price,
            photos=tuple(photos),
            terms=brand_terms,
            product=product,
            born=born,
            removed=removed,
            removal=rng.choice(("notfound", "offshelf")),
            volatile=platform != "weibo" and rng.random() < 0.3,
            sales=int(rng.paretovariate(1.2) * 5) if rng.random() < 0.9 else 0,
            reviews=rng.randint(0, 3000),
            posted=EPOCH_ZERO
            + dt.timedelta(
                days=born - rng.randint(0, 40), hours=rng.randint(0, 13), minutes=rng.randint(0, 59)
            ),
            reposts=rng.randint(0, 80),
            comments=rng.randint(0, 60),
            likes=rng.randint(0, 500),
            source=rng.choice(_SOURCES),
            sku_id=str(3_000_000_000_000 + (slot * 7_368_787 + self.seed * 1_000_003) % 2_999_999_999_999),
        )
        if platform == "weibo":
            x.bid = _b62(_hash("bid", self.seed, slot), 9)
        return x

    def _post_text(self, rng: random.Random, title: str, wechat: str) -> str:
        opener = rng.choice(("新款到货！", "现货秒发", "姐妹们冲", "今日上新", "老客户返单"))
        return f"{opener}{title} 需要的{rng.choice(('私聊', '加微信', '戳我'))} {wechat} [心][心]"

    def _relist(self, old: Listing, rng: random.Random) -> Listing:
        assert old.removed is not None
        new_id = self._item_id(old.platform, old.slot, 1)
        title = old.title
        if old.platform != "weibo":
            title = f"{rng.choice(_PREFIXES)} {old.title.split(' ', 1)[-1]}"
        born = old.removed + rng.choice((0, 0, 1))
        x = Listing(
            index=-1,
            slot=old.slot,
            platform=old.platform,
            item_id=new_id,
            brand=old.brand,
            category=old.category,
            infringing=old.infringing,
            why=old.why,
            seller=old.seller,
            title=title,
            base_price=round(old.base_price * rng.uniform(0.9, 1.05), 2) if old.base_price else 0.0,
            photos=old.photos,
            terms=old.terms,
            product=old.product,
            born=born,
            removed=None,
            relisted_from=old.item_id,
            sales=0,
            reviews=0,
            posted=EPOCH_ZERO + dt.timedelta(days=born, hours=rng.randint(0, 13), minutes=rng.randint(0, 59)),
            source=old.source,
            sku_id=old.sku_id,
        )
        if old.platform == "weibo":
            x.bid = _b62(_hash("bid", self.seed, old.slot, 1), 9)
        return x

    def _add(self, x: Listing) -> None:
        cat = self.cat
        x.index = len(cat._listings)
        cat._listings.append(x)
        cat._by_id[(x.platform, x.item_id)] = x
        cat._by_platform[x.platform].append(x)


def live(listings: Iterable[Listing], epoch: int) -> list[Listing]:
    return [x for x in listings if x.live(epoch)]
