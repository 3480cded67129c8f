"""The brand a user protects: its YAML file, loaded into pydantic models, and the dossier warnings.

One YAML file per brand in ``configs/brands/``. Paths inside it (mark images, reference photos, the
power of attorney, certificates) are relative to the YAML file and are resolved on load; a missing
file is an error. Every key carries a ``description`` (a test fails when one lacks it): that text is
the configuration reference in the README.

This module imports neither Scrapy nor SQLAlchemy, so the matchers and storage may use it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from markwatch.errors import UserError

#: Where the shipped brand files live; a brand may be named by slug when its file is here.
BRANDS_DIR = Path(__file__).resolve().parent.parent / "configs" / "brands"

#: The platforms markwatch crawls.

#: Offices whose registration China-facing platforms accept as proof of the right.
CHINESE_OFFICES = frozenset({"CNIPA", "CN", "CTMO", "SAIC"})


class Platform(StrEnum):
    taobao = "taobao"
    tmall = "tmall"
    jd = "jd"
    weibo = "weibo"


class MarkKind(StrEnum):
    word = "word"
    figurative = "figurative"
    combined = "combined"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=False)


def _resolve(value: Path, info: ValidationInfo) -> Path:
    """Resolve ``value`` against the YAML file's folder and check that the file exists."""
    base = (info.context or {}).get("base_dir")
    path = Path(value)
    if base is not None and not path.is_absolute():
        path = Path(base) / path
    if not path.is_file():
        raise ValueError(f"file not found: {path}")
    return path


FilePath = Annotated[Path, Field(description="a file path, relative to the YAML file")]


class Registration(_Model):
    office: str = Field(
        description="the office that registered the mark: CNIPA (China), WIPO (Madrid), EUIPO, USPTO…"
    )
    number: str = Field(description="registration number as on the office's register")
    classes: list[int] = Field(default_factory=list, description="Nice classes the registration covers")
    expires: dt.date | None = Field(default=None, description="expiry date (CNIPA terms are 10 years)")
    registered: dt.date | None = Field(default=None, description="registration date")
    owner: str | None = Field(default=None, description="registrant as on the register")
    designations: list[str] = Field(
        default_factory=list,
        description="for a Madrid (WIPO) registration, the designated countries; CN makes it Chinese",
    )
    goods: str | None = Field(default=None, description="the goods text of the registration")
    certificate: FilePath | None = Field(
        default=None, description="scan of the registration certificate (PDF or image)"
    )

    @field_validator("classes")
    @classmethod
    def _nice_classes(cls, value: list[int]) -> list[int]:
        for c in value:
            if not 1 <= c <= 45:
                raise ValueError(f"Nice class {c} is not between 1 and 45")
        return value

    @field_validator("certificate")
    @classmethod
    def _certificate_exists(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else _resolve(value, info)

    @property
    def chinese(self) -> bool:
        """True when China-facing platforms accept this registration as proof of the right."""
        office = self.office.upper()
        return office in CHINESE_OFFICES or (office in {"WIPO", "WO"} and "CN" in self.designations)


class Mark(_Model):
    id: str = Field(description="the mark's id, unique within the brand; used in scores and exports")
    kind: MarkKind = Field(description="word | figurative | combined")
    text: str | None = Field(default=None, description="the verbal element (word and combined marks)")
    variants: list[str] = Field(
        default_factory=list, description="the mark's other registered or known names (e.g. Chinese)"
    )
    images: list[FilePath] = Field(
        default_factory=list, description="the mark's images (figurative and combined marks)"
    )
    registration: Registration | None = Field(default=None, description="the mark's registration")

    @field_validator("images")
    @classmethod
    def _images_exist(cls, value: list[Path], info: ValidationInfo) -> list[Path]:
        return [_resolve(p, info) for p in value]

    @model_validator(mode="after")
    def _has_content(self) -> Mark:
        if self.kind in (MarkKind.word, MarkKind.combined) and not self.text:
            raise ValueError(f"mark {self.id!r} is a {self.kind} mark and needs `text`")
        if self.kind is MarkKind.figurative and not self.images:
            raise ValueError(f"mark {self.id!r} is figurative and needs `images`")
        return self

    @property
    def names(self) -> list[str]:
        """The mark's text and its variants, the text first."""
        return ([self.text] if self.text else []) + list(self.variants)


class AuthorizedSeller(_Model):
    platform: Platform = Field(description="platform the seller trades on")
    seller_id: str = Field(description="the platform's seller or user id")
    name: str | None = Field(default=None, description="shop or account name, for people reading")
    certificate_expires: dt.date | None = Field(
        default=None, description="when the seller's authorisation ends; after it, it is a suspect"
    )
    certificate: FilePath | None = Field(
        default=None, description="the authorisation certificate (proof for an expired distributor)"
    )

    @field_validator("certificate")
    @classmethod
    def _certificate_exists(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else _resolve(value, info)

    def authorised_on(self, day: dt.date) -> bool:
        return self.certificate_expires is None or day <= self.certificate_expires


class RightsHolder(_Model):
    name: str = Field(description="the rights holder's legal name")
    country: str = Field(description="ISO country code of incorporation")
    name_zh: str | None = Field(default=None, description="the holder's Chinese name, for notices")
    address: str | None = Field(default=None, description="registered address, for notices")
    contact: str | None = Field(default=None, description="contact e-mail or phone for platforms")
    business_licence: FilePath | None = Field(
        default=None, description="business registration / licence scan (identity proof)"
    )

    @field_validator("business_licence")
    @classmethod
    def _licence_exists(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else _resolve(value, info)


class PowerOfAttorney(_Model):
    agent: str = Field(description="the agent (law firm) acting for the rights holder")
    expires: dt.date | None = Field(default=None, description="when the power of attorney ends")
    file: FilePath | None = Field(default=None, description="the signed or sealed power of attorney")

    @field_validator("file")
    @classmethod
    def _file_exists(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else _resolve(value, info)


class Review(_Model):
    four_eyes: bool = Field(
        default=False,
        description="a confirmation needs a second analyst (review console) before its listing is exported",
    )


class Brand(_Model):
    slug: str = Field(description="id used on the command line: lower-case letters, digits, dashes")
    name: str = Field(description="the brand's display name")
    marks: list[Mark] = Field(min_length=1, description="the brand's registered marks")
    reference_images: list[FilePath] = Field(
        default_factory=list, description="the brand's own product photos, matched against listings"
    )
    search_terms: list[str] = Field(
        min_length=1, description="what the spiders search for, Latin and Chinese"
    )
    platforms: list[Platform] = Field(
        default_factory=lambda: list(Platform), description="platforms to crawl for this brand"
    )
    price_floor: dict[str, float] = Field(
        default_factory=dict,
        description="per currency (CNY…), the price genuine goods never sell below",
    )
    authorized_sellers: list[AuthorizedSeller] = Field(
        default_factory=list, description="sellers allowed to sell the brand (not suspects)"
    )
    schedule: str | None = Field(default=None, description="cron expression for scheduled crawls")
    timezone: str = Field(default="Asia/Shanghai", description="time zone of `schedule`")
    threshold: float = Field(
        default=0.5, ge=0.0, le=1.0, description="score from which a listing is a suspect (0–1)"
    )
    lexicon: dict[str, float] = Field(
        default_factory=dict,
        description="extra counterfeit words for this brand and their weights (0–1), added to the lexicon",
    )
    exclude_terms: list[str] = Field(
        default_factory=list,
        description="words that look like the mark but are not it (false friends), never matched as the mark",
    )
    rights_holder: RightsHolder | None = Field(default=None, description="who owns the rights")
    power_of_attorney: PowerOfAttorney | None = Field(
        default=None, description="the agent's power of attorney, when an agent files complaints"
    )
    review: Review = Field(default_factory=Review, description="how listings of this brand are reviewed")

    source: Path | None = Field(default=None, exclude=True, description="the YAML file it was loaded from")

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", value):
            raise ValueError("use lower-case letters, digits and dashes")
        return value

    @field_validator("reference_images")
    @classmethod
    def _refs_exist(cls, value: list[Path], info: ValidationInfo) -> list[Path]:
        return [_resolve(p, info) for p in value]

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from croniter import croniter

        if not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a cron expression (e.g. '0 3 * * *')")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value

    @field_validator("lexicon")
    @classmethod
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        for word, weight in value.items():
            if not 0.0 <= weight <= 1.0:
                raise ValueError(f"weight of {word!r} must be between 0 and 1")
        return value

    @model_validator(mode="after")
    def _unique_marks(self) -> Brand:
        seen: set[str] = set()
        for mark in self.marks:
            if mark.id in seen:
                raise ValueError(f"mark id {mark.id!r} appears twice")
            seen.add(mark.id)
        return self

    # --- helpers the rest of the project uses ---------------------------------------------------

    def mark(self, mark_id: str) -> Mark:
        for m in self.marks:
            if m.id == mark_id:
                return m
        raise KeyError(mark_id)

    def authorised_seller(self, platform: str, seller_id: str | None) -> AuthorizedSeller | None:
        """The authorised-seller entry for this seller on this platform, if any (lapsed or not)."""
        if not seller_id:
            return None
        for s in self.authorized_sellers:
            if s.platform == platform and s.seller_id == str(seller_id):
                return s
        return None

    def warnings(self, today: dt.date | None = None) -> list[str]:
        """Problems in the brand's dossier that weaken a takedown (the seed: register first)."""
        return list(_dossier_warnings(self, today or dt.date.today()))


def _dossier_warnings(brand: Brand, today: dt.date) -> Iterator[str]:
    in_a_year = today + dt.timedelta(days=365)
    if not any(m.registration and m.registration.chinese for m in brand.marks):
        yield "no mark has a Chinese registration (CNIPA, or Madrid designating CN): takedowns will be hard"
    for m in brand.marks:
        reg = m.registration
        if reg is None:
            yield f"mark {m.id} has no registration"
            continue
        if reg.expires is not None and reg.expires < today:
            yield f"mark {m.id}: registration {reg.office} {reg.number} expired on {reg.expires}"
        elif reg.expires is not None and reg.expires <= in_a_year:
            yield (
                f"mark {m.id}: registration {reg.office} {reg.number} expires on {reg.expires}; "
                "renew it (CNIPA allows renewal in the last 12 months)"
            )
    poa = brand.power_of_attorney
    if poa is not None and poa.expires is not None and poa.expires < today:
        yield f"power of attorney for {poa.agent} expired on {poa.expires}"
    if poa is not None and poa.file is None:
        yield f"power of attorney for {poa.agent} has no file"
    for s in brand.authorized_sellers:
        if s.certificate_expires is not None and s.certificate_expires < today:
            yield (
                f"authorised seller {s.name or s.seller_id} ({s.platform}) certificate lapsed on "
                f"{s.certificate_expires}: its listings are now suspects"
            )


# --- loading ------------------------------------------------------------------------------------


def _known_keys(model: type[BaseModel]) -> list[str]:
    return [name for name, f in model.model_fields.items() if not f.exclude]


def _sub_model(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as ``list[Mark]`` or ``Registration | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _sub_model(arg)
        if found is not None:
            return found
    return None


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel]:
    """The model class that owns the key at ``loc`` (for suggesting a nearby key name)."""
    model: type[BaseModel] = Brand
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        sub = _sub_model(field.annotation) if field is not None else None
        if sub is None:
            break
        model = sub
    return model


def _describe(error: ValidationError, where: str) -> str:
    first = error.errors()[0]
    loc = tuple(first["loc"])
    dotted = ".".join(str(p) for p in loc) or "(top level)"
    if first["type"] == "extra_forbidden":
        key = str(loc[-1])
        near = difflib.get_close_matches(key, _known_keys(_model_at(loc)), n=1, cutoff=0.5)
        hint = f"; did you mean `{near[0]}`?" if near else ""
        return f"{where}: unknown key `{dotted}`{hint}"
    if first["type"] == "missing":
        # A missing key beside an unknown one at the same level is most often a misspelling of it.
        parent = loc[:-1]
        unknown = [
            str(e["loc"][-1])
            for e in error.errors()
            if e["type"] == "extra_forbidden" and tuple(e["loc"][:-1]) == parent
        ]
        near = difflib.get_close_matches(str(loc[-1]), unknown, n=1, cutoff=0.5)
        if near:
            prefix = ".".join(str(p) for p in parent)
            shown_key = f"{prefix}.{near[0]}" if prefix else near[0]
            return (
                f"{where}: missing key `{dotted}`; found unknown key `{shown_key}`: rename it to `{loc[-1]}`"
            )
        if unknown:
            return f"{where}: missing key `{dotted}` (unknown key(s) here: {', '.join(unknown)})"
        return f"{where}: missing key `{dotted}`"
    msg = first["msg"].removeprefix("Value error, ")
    value = first.get("input")
    shown = f" (got {value!r})" if isinstance(value, str | int | float) and len(repr(value)) < 60 else ""
    more = f" (and {error.error_count() - 1} more problem(s))" if error.error_count() > 1 else ""
    return f"{where}: `{dotted}`: {msg}{shown}{more}"


class _BrandLoader(yaml.SafeLoader):
    """YAML's safe loader whose impossible dates (``2032-02-30``) are a YAML error with a line number."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"impossible date {node.value!r} ({exc})", node.start_mark
            ) from None


_BrandLoader.add_constructor("tag:yaml.org,2002:timestamp", _BrandLoader.construct_yaml_timestamp)


def load_brand(path: str | Path) -> Brand:
    """Load and validate one brand YAML file; raise :class:`UserError` with one line on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: no such brand file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read brand file ({exc})") from None
    try:
        data = yaml.load(text, Loader=_BrandLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise UserError(f"{path}:{at}: malformed YAML: {problem}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: a brand file must be a YAML mapping with slug, name, marks…")
    try:
        brand = Brand.model_validate(data, context={"base_dir": path.resolve().parent})
    except ValidationError as exc:
        raise UserError(_describe(exc, str(path))) from None
    return brand.model_copy(update={"source": path.resolve()})


def resolve_brand(ref: str | Path, brands_dir: Path | None = None) -> Brand:
    """A brand by slug (a file in ``configs/brands/``) or by path to its YAML file."""
    text = str(ref)
    as_path = Path(text)
    if as_path.suffix in {".yaml", ".yml"} or as_path.is_file() or "/" in text:
        return load_brand(as_path)
    folder = brands_dir or BRANDS_DIR
    for suffix in (".yaml", ".yml"):
        candidate = folder / f"{text}{suffix}"
        if candidate.is_file():
            return load_brand(candidate)
    known = sorted(p.stem for p in folder.glob("*.y*ml"))
    near = difflib.get_close_matches(text, known, n=1)
    hint = f"; did you mean `{near[0]}`?" if near else f" (known: {', '.join(known) or 'none'})"
    raise UserError(f"no brand `{text}` in {folder}{hint}")


def brand_files(brands_dir: Path | None = None) -> list[Path]:
    folder = brands_dir or BRANDS_DIR
    return sorted(p for p in folder.glob("*.y*ml") if p.is_file())


def documented_keys() -> Iterator[tuple[str, str, str, str]]:
    """(key path, type, default, description) for every key of the brand file: the README's reference."""

    def walk(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, str, str, str]]:
        for name, field in model.model_fields.items():
            if field.exclude:
                continue
            key = f"{prefix}{name}"
            ann = field.annotation
            type_name = getattr(ann, "__name__", None) or str(ann).replace("typing.", "")
            default: Any = field.get_default(call_default_factory=True)
            shown = "required" if field.is_required() else repr(default)
            yield key, type_name, shown, field.description or ""
            sub = _sub_model(ann)
            if sub is not None:
                yield from walk(sub, f"{key}[]." if get_origin(ann) is list else f"{key}.")

    yield from walk(Brand, "")
