"""Evidence capture throughput: captures per minute with one browser, plain against full, same run.

* **plain** — today's capture before this change: one browser context for all pages, a full-page
  screenshot and the HTML (``Capturer(full=False)``);
* **full** — the band, the WARC of every response, the session's video, the capture log, a fresh
  context per capture, and one RFC 3161 timestamp for the run (a local ``openssl ts -reply`` TSA).

Both capture the same sandbox listings (taobao and JD item pages), alternating rounds so that machine
load falls on both alike. Target: full ≥ 0.6 × plain. Also prints the size per listing (with and
without the video), i.e. what a takedown package carries per link beyond its notices.

    python bench/bench_evidence.py --listings 12 --rounds 2
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evidence.capture import Capturer, CaptureTarget
from evidence.settings import EvidenceSettings
from evidence.timestamp import stamp_run

NOT_WARC = (
    "screenshot.png",
    "page.html",
    "video.webm",
    "capture-log.json",
    "manifest.json",
    "timestamp.tsr",
    "timestamp.json",
    "tsa-ca.pem",
)


def _targets(sb: object, n: int) -> list[CaptureTarget]:
    rows = [r for r in sb.truth(brand="veloria") if r["platform"] in ("taobao", "jd")]  # type: ignore[attr-defined]
    return [
        CaptureTarget(i, str(r["platform"]), str(r["item_id"]), str(r["url"]), str(r["title"]))
        for i, r in enumerate(rows[:n], 1)
    ]


def _run(
    full: bool, sandbox: str, targets: list[CaptureTarget], out: Path, tsa: EvidenceSettings | None
) -> float:
    t0 = time.perf_counter()
    with Capturer(sandbox=sandbox, full=full) as cap:
        caps = [cap.capture(t, out) for t in targets]
    dirs = [c.directory for c in caps if c.directory is not None]
    bad = [c.detail.get("error") for c in caps if c.state == "failed"]
    if bad:
        raise SystemExit(f"captures failed: {bad[:3]}")
    if full and tsa is not None:
        stamp_run(tsa, dirs)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listings", type=int, default=12, help="Listings per round.")
    ap.add_argument("--rounds", type=int, default=2, help="Rounds (plain and full alternate).")
    args = ap.parse_args()

    from sandbox import serve
    from tests._tsa import make_ca, serve_tsa

    work = Path(tempfile.mkdtemp(prefix="bench-evidence-"))
    try:
        ca = make_ca(work / "ca")
        with serve(seed=1, size=200) as sb, serve_tsa(ca) as tsa_url:
            tsa = EvidenceSettings(tsa_url=tsa_url, tsa_ca_file=ca.ca)
            targets = _targets(sb, args.listings)
            # warm-up (fonts, the driver, the sandbox's first pages)
            _run(False, sb.url, targets[:2], work / "warm", None)
            times: dict[str, list[float]] = {"plain": [], "full": []}
            for r in range(args.rounds):
                for mode in ("plain", "full") if r % 2 == 0 else ("full", "plain"):
                    out = work / f"{mode}-{r}"
                    secs = _run(mode == "full", sb.url, targets, out, tsa)
                    times[mode].append(secs)
                    print(f"round {r + 1} {mode:5}: {len(targets)} captures in {secs:.1f} s "
                          f"= {60 * len(targets) / secs:.1f} per minute", flush=True)  # fmt: skip
        rate = {m: 60 * len(targets) / statistics.median(v) for m, v in times.items()}
        ratio = rate["full"] / rate["plain"]
        print(f"\nplain: {rate['plain']:.1f} captures/min (median of {args.rounds})")
        print(f"full : {rate['full']:.1f} captures/min (band, WARC, video, log, fresh context, timestamp)")
        print(f"ratio full/plain: {ratio:.2f} (target >= 0.6: {'met' if ratio >= 0.6 else 'NOT met'})")
        full_dirs = [d for d in (work / "full-0").iterdir() if d.is_dir()]
        plain_dirs = [d for d in (work / "plain-0").iterdir() if d.is_dir()]

        def size(dirs: list[Path], skip: tuple[str, ...] = ()) -> float:
            total = sum(
                p.stat().st_size for d in dirs for p in d.iterdir() if p.is_file() and p.name not in skip
            )
            return total / max(1, len(dirs)) / 1e6

        print(f"size per listing: plain {size(plain_dirs):.2f} MB; full {size(full_dirs):.2f} MB "
              f"(without the video {size(full_dirs, ('video.webm',)):.2f} MB; "
              f"WARC alone {size(full_dirs, NOT_WARC):.2f} MB)")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
