"""Photo hashes and the reference match: transformed copies match, look-alike products' photos don't."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from markwatch.brand import resolve_brand
from matchers.images import RECIPE, ReferenceSet, hamming_hex, hash_image
from tests.matching.photos import make_photo


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("photos")


@pytest.fixture(scope="module")
def veloria_refs() -> ReferenceSet:
    brand = resolve_brand("veloria")
    return ReferenceSet([(Path(p), None) for p in brand.reference_images])


def test_hash_image_fields(photos: Path) -> None:
    path = make_photo("official:veloria/official/bag-1.jpg", photos)
    h = hash_image(path)
    assert h["recipe"] == RECIPE
    assert len(h["phash"]) == 16 and len(h["dhash"]) == 16
    assert len(h["grad32"]) == 512 and len(h["strong32"]) == 512 and len(h["clip32"]) == 512
    assert (h["width"], h["height"]) == (800, 800)
    int(h["phash"], 16)  # hex


def test_phash_is_imagehash_phash(photos: Path) -> None:
    """Our numpy phash follows imagehash's algorithm (same bits on the same grey picture)."""
    import imagehash

    from matchers.images import _hashes, hash_input

    for spec in ("official:veloria/official/bag-1.jpg", "other:watch:3"):
        path = make_photo(spec, photos)
        grey = hash_input(path).convert("L")
        ours = np.packbits(_hashes(grey)["phash"].astype(np.uint8)).tobytes().hex()
        theirs = str(imagehash.phash(grey))
        assert hamming_hex(ours, theirs) <= 2


@pytest.mark.parametrize("bad", ["missing.jpg", "notes.txt", "empty.jpg"])
def test_unreadable_image_is_reported(tmp_path: Path, bad: str) -> None:
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "empty.jpg").write_bytes(b"")
    h = hash_image(tmp_path / bad)
    assert set(h) == {"path", "error"}
    assert h["error"]


def test_png_with_transparency(tmp_path: Path) -> None:
    img = Image.new("RGBA", (100, 80), (255, 0, 0, 0))
    img.save(tmp_path / "a.png")
    h = hash_image(tmp_path / "a.png")
    assert "error" not in h and (h["width"], h["height"]) == (100, 80)


COPIES = [
    "resize:420",
    "q:25",
    "wm",
    "band:0.15",
    "bright:1.4",
    "bright:0.6",
    "crop:0.1,0.1,0.1,0.1",
    "crop:0.1,0,0.1,0",
    "crop:0,0.1,0,0",
    "crop:0.08,0.03,0,0.1",
    "crop:0.05,0,0.05,0.05|band:0.12|resize:600|q:50",
]


@pytest.mark.parametrize("steps", COPIES)
@pytest.mark.parametrize("ref", ["bag-1.jpg", "shoe-3.jpg"])
def test_transformed_copy_matches(veloria_refs: ReferenceSet, photos: Path, ref: str, steps: str) -> None:
    m = veloria_refs.match(hash_image(make_photo(f"official:veloria/official/{ref}|{steps}", photos)))
    assert m is not None, steps
    assert m.reference == ref


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("line", [0, 1, 2])
def test_lookalike_photo_does_not_match(
    veloria_refs: ReferenceSet, photos: Path, line: int, seed: int
) -> None:
    """Another seller's photo of the same product line: same colours and shape, a different picture."""
    assert veloria_refs.match(hash_image(make_photo(f"lookalike:veloria:{line}:t{seed}", photos))) is None


def test_crop_is_described(veloria_refs: ReferenceSet, photos: Path) -> None:
    m = veloria_refs.match(
        hash_image(make_photo("official:veloria/official/bag-2.jpg|crop:0.1,0,0,0", photos))
    )
    assert m is not None and "left 10%" in m.describe_crop()


def test_unreadable_reference_is_kept_aside(tmp_path: Path) -> None:
    (tmp_path / "x.jpg").write_bytes(b"junk")
    refs = ReferenceSet([(tmp_path / "x.jpg", None)])
    assert len(refs) == 0 and refs.errors


def test_hamming_index_gives_opencv_brute_force_distances() -> None:
    """The candidate stage's two nearest reference descriptors (faiss's exact binary index when
    installed, OpenCV's ``batchDistance`` otherwise) are those of OpenCV's brute-force matcher."""
    import cv2

    from matchers import local

    rng = np.random.default_rng(3)
    train = rng.integers(0, 256, (300, 32), dtype=np.uint8)
    query = np.vstack(
        [train[:40] ^ rng.integers(0, 2, (40, 32), dtype=np.uint8), rng.integers(0, 256, (60, 32))]
    )
    query = np.ascontiguousarray(query, np.uint8)
    expect = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(query, train, k=2)
    want = np.array([[p[0].distance, p[1].distance] for p in expect], np.int64)
    index = local._HammingIndex(train)
    dist, nearest = index.two_nearest(query)
    assert (dist == want).all()
    assert (nearest[:40, 0] == np.arange(40)).all()  # a near copy's nearest is its original
    index._faiss = None  # the fallback
    dist, nearest = index.two_nearest(query)
    assert (dist == want).all() and (nearest[:40, 0] == np.arange(40)).all()
    # fewer than two reference descriptors: no neighbour passes the ratio test
    far, _ = local._HammingIndex(train[:1]).two_nearest(query)
    assert not (far[:, 0] < local.RATIO * far[:, 1]).any()


def test_a_photo_is_decoded_once_for_hashes_and_local_features(
    photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hash stage and the local features share one decode of each photo (recipe mw5); a file
    written again is decoded again."""
    import matchers.images as mi
    from matchers import Matcher

    opened: list[str] = []
    real_open = mi.Image.open

    def counting_open(fp: object, *args: object, **kwargs: object) -> object:
        opened.append(str(fp))
        return real_open(fp, *args, **kwargs)  # type: ignore[arg-type]

    path = make_photo("official:veloria/official/bag-1.jpg|rotate:8", photos)
    matcher = Matcher(resolve_brand("veloria"), ocr="off")
    monkeypatch.setattr(mi.Image, "open", counting_open)
    result = matcher.score({"title": "新款女包", "price": 999, "image_paths": [str(path)]})
    assert any(r.kind == "image" and r.role == "link" for r in result.reasons)  # found by local features
    assert opened.count(str(path)) == 1, opened
    arr, size = mi.open_photo(path)
    assert size == (800, 800) and max(arr.shape[:2]) == mi.DECODE_SIDE and not arr.flags.writeable
    Image.new("RGB", (640, 480), "white").save(path, format="JPEG")  # the file changes
    arr, size = mi.open_photo(path)
    assert size == (640, 480) and arr.shape[:2] == (300, 400)


def test_packed_signs_are_the_gradient_maps_signs(veloria_refs: ReferenceSet) -> None:
    """The refinement's shortcut gives the same bits as the full gradient maps, for any crop."""
    import itertools

    import matchers.images as mi

    for grey, crop in itertools.product(veloria_refs._grey, [(0.0, 0.0, 0.0, 0.0), (0.05, 0.1, 0.0125, 0.2)]):
        part = mi._crop(grey, crop)
        assert np.array_equal(mi._packed_signs(part), np.packbits(mi._grad_maps(part)[0]))
