"""Benchmark a whole crawl of the sandbox: full pipeline against pipelines off (issue 5 acceptance).

Run by hand (it is not a test)::

    .venv/bin/python bench/bench_crawl.py [--size 16000] [--max-pages 100] [--profile]

What it does, each piece in its own process so that none shares another's CPU accounting or GIL:

1. ceiling: ``scrapy bench`` (Scrapy's own local server and spider, ``CLOSESPIDER_TIMEOUT``) on this
   machine, its pages/min parsed from the log;
2. the sandbox (``markwatch sandbox --port 0 --size N``) in a server process; its JPEGs are kept in
   ``--image-cache`` between runs, so a repeated run measures the crawler, not the drawing of photos;
3. a warm-up crawl with pipelines off (fills the sandbox's page cache; not counted);
4. the crawl with the full pipeline (validate, dedupe, photos through Scrapy's FilesPipeline, score
   with the matchers, store into a fresh SQLite file) and the same crawl with pipelines off
   (``MARKWATCH_PIPELINES=False``), each in a fresh crawler subprocess (Twisted's reactor cannot
   restart), all four platforms in one ``CrawlerProcess`` as ``markwatch crawl`` runs them; then the
   full pipeline again on the same database and photo store, as the next scheduled crawl runs;
5. the same crawl with every pipeline but photos (``MARKWATCH_PHOTOS_DIR`` empty: text scoring and
   storage only), to show how much of the gap the photos make, and with photo downloads alone
   (validate, dedupe, photos; no scoring, no storing): the bound on any pipeline that downloads each
   listing's photos through Scrapy (``--no-split`` skips both);
6. the full pipeline and pipelines off again with the real platforms' politeness (AutoThrottle, one
   request at a time per host, DOWNLOAD_DELAY, Weibo's slot, the photo CDN slots) instead of the
   sandbox's full speed, every delay divided by ``--polite-scale`` (10) to keep the run short: whether
   the pipeline keeps up with a crawl paced as against the real platforms.

For each crawl it prints wall time, pages/s (search and item pages; photos are counted apart),
listings/s, the crawler's CPU seconds and peak RSS (``ru_maxrss`` of the crawler process; the scoring
workers of ``crawler/scoring.py`` are sampled apart and added), and the
sandbox's CPU seconds, with RSS sampled once a second beside the number of items inside the
pipelines (a backlog of items waiting for their photos shows up there). Then the ratio
full / pipelines-off (target >= 0.7), peak RSS against 400 MB, and both beside the ``scrapy bench``
ceiling. ``--profile`` adds a full crawl under cProfile after the measured ones and prints where its
time goes (pipeline by pipeline, then the hottest functions). The machine's load (``uptime``) is
printed before and after: the figures depend on what else the shared machine is doing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from markwatch.platforms import PLATFORMS

ROOT = Path(__file__).resolve().parent.parent
RATIO_TARGET = 0.7
RSS_TARGET_MB = 400.0
LISTINGS_TARGET = 5000
#: The pipelines of the "photos only" crawl: what any full pipeline must at least do per listing.
PHOTOS_ONLY = (("ValidatePipeline", 100), ("DedupePipeline", 200), ("PhotosPipeline", 300))


# --- the crawler subprocess ----------------------------------------------------------------------


def child(cfg: dict[str, Any]) -> dict[str, Any]:
    """One crawl of all platforms in this process, as ``crawler.runner.run_crawl`` composes it.

    The only difference from ``run_crawl`` is the spider argument ``terms`` (one search term instead
    of the brand's several, which on the sandbox all find the same listings: the benchmark wants
    each page to bring new listings, not duplicates).
    """
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from itemadapter import ItemAdapter
    from scrapy import signals
    from scrapy.crawler import Crawler, CrawlerProcess

    from crawler.runner import crawl_settings, finish_run, start_run
    from markwatch.brand import resolve_brand

    brand = resolve_brand(cfg["brand"])
    db = cfg["db"]
    run_id = start_run(db, brand, origin=cfg["sandbox"], platforms=cfg["platforms"])
    # the HTTP path on the legacy pages unless a run asks for the browser (today's pages)
    extra: dict[str, Any] = {
        "LOGSTATS_INTERVAL": 0,
        "MARKWATCH_BROWSER": "off",
        "MARKWATCH_PATH": "legacy",
        **cfg.get("settings", {}),
    }
    if not cfg["pipelines"]:
        extra["MARKWATCH_PIPELINES"] = False
    elif cfg.get("photos_only"):  # the bound: validate, dedupe and download photos; no scoring, no storing
        extra["MARKWATCH_PIPELINES"] = False
        extra["ITEM_PIPELINES"] = {f"crawler.pipelines.{name}": order for name, order in PHOTOS_ONLY}
    settings = crawl_settings(
        db,
        run_id,
        sandbox_url=cfg["sandbox"],
        photos_dir=cfg["photos"],
        save_dir=cfg["save"],
        extra=extra,
    )
    process = CrawlerProcess(settings)
    unique: set[tuple[str, str]] = set()

    def on_item(item: Any) -> None:
        a = ItemAdapter(item)
        unique.add((str(a.get("platform")), str(a.get("item_id"))))

    crawlers = []
    for n, platform in enumerate(cfg["platforms"]):
        crawler = Crawler(process.spider_loader.load(platform), settings, init_reactor=n == 0)
        crawler.signals.connect(on_item, signal=signals.item_scraped, weak=False)
        crawlers.append((platform, crawler))
        process.crawl(crawler, brand=cfg["brand"], terms=cfg["terms"], max_pages=cfg["max_pages"])

    # RSS and backlog once a second: does memory follow the items waiting in the pipelines?
    import psutil
    from twisted.internet import reactor, task

    me = psutil.Process()
    samples: list[tuple[float, float, int, int]] = []  # (t, RSS MB, items in pipelines, responses)
    worker_rss: list[float] = []  # RSS of every process below the crawler, summed, at each sample
    browser_rss: list[float] = []  # of which Chromium and Playwright's driver (the browser path)
    browser_procs: list[int] = []
    #: PSS (shared pages split between the processes that map them) of the crawler and everything
    #: below it: what the tree really holds; summed RSS counts Chromium's shared libraries once per process
    tree_pss: list[float] = []
    measure_pss = bool(cfg.get("pss"))

    def children_rss() -> float:
        total = browsers = pss = 0.0
        count = 0
        if measure_pss:
            with contextlib.suppress(psutil.Error):
                pss += me.memory_full_info().pss / 2**20
        for proc in me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                rss = proc.memory_info().rss / 2**20
                total += rss
                if measure_pss:
                    pss += proc.memory_full_info().pss / 2**20
                name = proc.name().lower()
                if "chrom" in name or "node" in name or "playwright" in name:
                    browsers += rss
                    count += 1
        browser_rss.append(browsers)
        browser_procs.append(count)
        tree_pss.append(pss)
        return total

    def sample() -> None:
        items = responses = 0
        for _platform, crawler in crawlers:
            engine = crawler.engine
            slot = getattr(getattr(engine, "scraper", None), "slot", None)
            if slot is not None:
                items += slot.itemproc_size
                responses += len(slot.active) + len(slot.queue)
        samples.append((time.perf_counter() - t0, me.memory_info().rss / 2**20, items, responses))
        worker_rss.append(children_rss())

    ticker = task.LoopingCall(sample)
    reactor.callWhenRunning(ticker.start, 1.0)
    rss_before = me.memory_info().rss / 2**20

    profiler = None
    if cfg.get("profile"):
        import cProfile

        profiler = cProfile.Profile()
    cpu0 = os.times()
    t0 = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    process.start()
    if profiler is not None:
        profiler.disable()
    wall = time.perf_counter() - t0
    cpu1 = os.times()
    peak = max(samples, key=lambda x: x[1], default=(0.0, 0.0, 0, 0))

    totals: dict[str, int] = {}
    keys = (
        "item_scraped_count",
        "item_dropped_count",
        "downloader/request_count",
        "downloader/response_bytes",
        "file_count",
        "file_status_count/downloaded",
        "file_status_count/uptodate",
    )
    for platform, crawler in crawlers:
        stats = crawler.stats.get_stats() if crawler.stats is not None else {}
        for k in keys:
            totals[k] = totals.get(k, 0) + int(stats.get(k, 0) or 0)
        totals["search_pages"] = totals.get("search_pages", 0) + int(
            stats.get(f"markwatch/{platform}/pages", 0) or 0
        )
        totals["item_pages"] = totals.get("item_pages", 0) + int(
            stats.get(f"markwatch/{platform}/item_pages", 0) or 0
        )
    outcomes: dict[str, str] = {}
    if cfg["pipelines"]:
        summary = finish_run(db, run_id, cfg["platforms"])
        outcomes = {p.platform: f"{p.outcome} ({p.listings} stored)" for p in summary.platforms}
    if profiler is not None:
        profiler.dump_stats(cfg["profile"])
    return {
        "wall": wall,
        "cpu": (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system),
        "workers_cpu": (cpu1.children_user - cpu0.children_user)
        + (cpu1.children_system - cpu0.children_system),
        "peak_total_mb": max((s[1] + w for s, w in zip(samples, worker_rss, strict=True)), default=0.0),
        "workers_peak_mb": max(worker_rss, default=0.0),
        "browser_peak_mb": max(browser_rss, default=0.0),
        "browser_processes": max(browser_procs, default=0),
        "peak_pss_mb": max(tree_pss, default=0.0),
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "unique_listings": len(unique),
        "rss_before_mb": rss_before,
        "rss_peak_sample": peak,
        "max_items_in_pipelines": max((x[2] for x in samples), default=0),
        "outcomes": outcomes,
        **totals,
    }


# --- the parent: sandbox, scrapy bench, crawls ---------------------------------------------------


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def scrapy_bench(seconds: int, workdir: Path) -> tuple[float, list[float]]:
    """``scrapy bench`` for ``seconds``, outside the project (its polite settings would throttle it).

    Returns the median and every one of the per-interval rates (pages/s) Scrapy logged.
    """
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    scrapy = Path(sys.executable).with_name("scrapy")
    done = subprocess.run(
        [str(scrapy), "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}", "-s", "LOGSTATS_INTERVAL=1"],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        timeout=seconds + 120,
    )
    rates = [int(m) / 60 for m in re.findall(r"Crawled \d+ pages \(at (\d+) pages/min\)", done.stderr)]
    rates = [r for r in rates if r > 0]
    if not rates:
        raise SystemExit("scrapy bench logged no rate:\n" + done.stderr[-2000:])
    # the first interval includes start-up; the rest are the steady state
    steady = rates[1:] or rates
    return statistics.median(steady), rates


def start_sandbox(
    size: int, seed: int, image_cache: Path, legacy: bool = True
) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-u",
            "-m",
            "crawler.cli",
            "sandbox",
            "--port",
            "0",
            "--seed",
            str(seed),
            "--size",
            str(size),
            "--image-cache",
            str(image_cache),
            # the HTTP path crawls the legacy pages (today's pages need the browser path)
            *(["--legacy"] if legacy else []),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    found = re.search(r"(http://\S+)", line)
    if not found:
        proc.kill()
        raise SystemExit(f"the sandbox did not start: {line!r}")
    print(line.strip())
    return proc, found.group(1)


def stop_sandbox(proc: subprocess.Popen[str]) -> None:
    proc.terminate()  # SIGTERM: the sandbox command stops its server thread
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_child(cfg: dict[str, Any], server: psutil.Process, log: Path) -> dict[str, Any]:
    cpu0 = sum(server.cpu_times()[:2])
    t0 = time.perf_counter()
    with log.open("w") as err:
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(cfg)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=3600,
        )
    process_wall = time.perf_counter() - t0
    if done.returncode != 0 or not done.stdout.strip():
        tail = log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"the {cfg['label']} crawl failed (exit {done.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["server_cpu"] = sum(server.cpu_times()[:2]) - cpu0
    result["process_wall"] = process_wall
    result["warnings"] = sum(1 for line in log.read_text(errors="replace").splitlines() if "WARNING" in line)
    return result


def rates(r: dict[str, Any]) -> tuple[float, float, float]:
    pages = r["search_pages"] + r["item_pages"]
    return pages / r["wall"], r["item_scraped_count"] / r["wall"], pages / max(r["cpu"], 1e-9)


def show(label: str, r: dict[str, Any]) -> None:
    pages_s, listings_s, pages_cpu = rates(r)
    print(
        f"{label:<15} {r['wall']:7.1f} s  {r['search_pages']:5d}+{r['item_pages']:<5d} pages "
        f"{pages_s:7.1f}/s  {r['item_scraped_count']:6d} listings {listings_s:7.1f}/s  "
        f"{r['file_count']:6d} photos  crawler CPU {r['cpu']:6.1f} s ({pages_cpu:6.1f} pages/CPU-s)  "
        f"sandbox CPU {r['server_cpu']:6.1f} s  peak RSS {r['maxrss_mb']:6.1f} MB"
    )
    print(
        f"{'':<15} scoring workers: CPU {r['workers_cpu']:.1f} s, peak RSS {r['workers_peak_mb']:.0f} MB; "
        f"crawler + workers together, highest sample: {r['peak_total_mb']:.0f} MB"
    )
    t, rss, items, responses = r["rss_peak_sample"]
    print(
        f"{'':<15} RSS {r['rss_before_mb']:.0f} MB when the crawl starts (before the spiders open and "
        f"load the matcher); highest sample {rss:.0f} MB "
        f"at {t:.0f} s with {items} items in the pipelines and {responses} responses being scraped "
        f"(most items in the pipelines at once: {r['max_items_in_pipelines']})"
    )


#: Where a full crawl's time can go: (label, file path suffix, function name) for the breakdown.
BREAKDOWN = (
    ("spiders: parse search and item pages", "spiders/base.py", "parse"),
    ("pipeline: validate", "crawler/pipelines.py", "ValidatePipeline.process_item"),
    ("pipeline: dedupe", "crawler/pipelines.py", "DedupePipeline.process_item"),
    ("pipeline: photos, write to disk", "scrapy/pipelines/files.py", "FSFilesStore.persist_file"),
    ("pipeline: photos, file_downloaded", "scrapy/pipelines/files.py", "FilesPipeline.file_downloaded"),
    ("pipeline: score (matchers)", "crawler/pipelines.py", "ScorePipeline.process_item"),
    ("  matchers: hash photos", "matchers/images.py", "hash_image"),
    ("  matchers: match photos to references", "matchers/images.py", "ReferenceSet.match"),
    ("    of which _refine", "matchers/images.py", "ReferenceSet._refine"),
    ("pipeline: store (SQLite batches)", "crawler/pipelines.py", "StorePipeline.flush"),
    ("  of which sha256 of photo files", "crawler/pipelines.py", "_sha256"),
    ("  of which ingest_batch", "storage/ingest.py", "ingest_batch"),
    ("pipeline: store, close (run record, verify)", "crawler/pipelines.py", "StorePipeline.close_spider"),
)


def print_profile(path: Path, wall: float, top: int) -> None:
    import pstats

    stats = pstats.Stats(str(path))
    table: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    print(f"\n--- where the profiled full crawl's time goes ({wall:.1f} s wall under cProfile; {path}) ---")
    for label, suffix, func in BREAKDOWN:
        qual = func.split(".")[-1]
        owner = func.split(".")[0] if "." in func else None
        cum = 0.0
        calls = 0
        for (filename, _line, name), (_cc, nc, _tt, ct, _callers) in table.items():
            if not filename.endswith(suffix) or name != qual:
                continue
            if owner is not None and not _defined_in(filename, _line, owner):
                continue
            cum += ct
            calls += nc
        print(f"  {label:<46} {cum:7.2f} s  {100 * cum / wall:5.1f} %  ({calls} calls)")
    print(f"--- top {top} functions by own time ---")
    stats.sort_stats("tottime").print_stats(top)


def _defined_in(filename: str, line: int, owner: str) -> bool:
    """Whether the function at ``filename:line`` is a method of class ``owner`` (nearest class above)."""
    try:
        lines = Path(filename).read_text().splitlines()[:line]
    except OSError:
        return False
    for text in reversed(lines):
        found = re.match(r"class (\w+)", text)
        if found:
            return found.group(1) == owner
    return False


def polite_settings(scale: float) -> dict[str, Any]:
    """The project's politeness for the real platforms (crawler/settings.py), each delay divided by
    ``scale``: what ``markwatch crawl`` uses without ``--sandbox``, in place of the sandbox's full speed
    (``MARKWATCH_SANDBOX_OVERRIDES``)."""
    from crawler import settings as project

    def slower(slot: dict[str, Any]) -> dict[str, Any]:
        return {**slot, "delay": slot.get("delay", project.DOWNLOAD_DELAY) / scale}

    return {
        "AUTOTHROTTLE_ENABLED": project.AUTOTHROTTLE_ENABLED,
        "AUTOTHROTTLE_START_DELAY": project.AUTOTHROTTLE_START_DELAY / scale,
        "AUTOTHROTTLE_MAX_DELAY": project.AUTOTHROTTLE_MAX_DELAY / scale,
        "DOWNLOAD_DELAY": project.DOWNLOAD_DELAY / scale,
        "DOWNLOAD_DELAY_JITTER": project.DOWNLOAD_DELAY_JITTER,
        "CONCURRENT_REQUESTS": project.CONCURRENT_REQUESTS,
        "CONCURRENT_REQUESTS_PER_DOMAIN": project.CONCURRENT_REQUESTS_PER_DOMAIN,
        "DOWNLOAD_SLOTS": {name: slower(slot) for name, slot in project.DOWNLOAD_SLOTS.items()},
        "MARKWATCH_PHOTO_SLOT": slower(project.MARKWATCH_PHOTO_SLOT),
        "MARKWATCH_BACKOFF_BASE": project.MARKWATCH_BACKOFF_BASE / scale,
        "MARKWATCH_BACKOFF_MAX": project.MARKWATCH_BACKOFF_MAX / scale,
    }


#: Browser path targets (issue 10): RSS of the crawler and every Chromium process with 4 contexts, and
#: listings/s of the browser path over the HTTP path at the real platforms' politeness.
BROWSER_RSS_TARGET_MB = 1536.0
BROWSER_RATIO_TARGET = 0.9


def browser_bench(args: argparse.Namespace, tmp: Path) -> None:
    """The browser path beside the HTTP path, in the same run, on one platform (``--browser-platform``).

    * HTTP: the legacy sandbox pages over plain HTTP (what the HTTP path can still read; today's pages
      refuse it), pipelines off;
    * browser, N contexts: today's sandbox pages in Chromium, N sandbox accounts logged in by the QR
      hook and used side by side (one Playwright context, one Chromium, each), pipelines off;

    each at the sandbox's full speed and with the real platforms' politeness (delays / --polite-scale).
    Peak RSS is the crawler plus every process below it (Chromium's, Playwright's driver), sampled
    once a second with psutil.
    """
    from crawler.login import sandbox_login
    from markwatch.accounts import AccountStore

    platform = args.browser_platform
    counts = sorted({int(n) for n in args.browser_contexts.split(",") if n.strip()})
    polite = polite_settings(args.polite_scale) if args.polite_scale > 0 else {}
    args.image_cache.mkdir(parents=True, exist_ok=True)
    today_proc, today_url = start_sandbox(args.size, args.seed, args.image_cache, legacy=False)
    legacy_proc, legacy_url = start_sandbox(args.size, args.seed, args.image_cache, legacy=True)
    store = AccountStore(tmp / "accounts")
    names = [f"bench{n}" for n in range(1, max(counts) + 1)]
    t0 = time.perf_counter()
    for name in names:
        sandbox_login(store, today_url, platform, name)
    took = time.perf_counter() - t0
    print(f"{len(names)} {platform} accounts logged in to the sandbox by QR hook in {took:.1f} s")
    results: dict[str, dict[str, Any]] = {}
    try:
        plan: list[tuple[str, str, dict[str, Any], psutil.Process]] = []
        for pace, pace_settings in (("full", {}), ("polite", polite)):
            if pace == "polite" and not polite:
                continue
            plan.append((f"HTTP, {pace}", legacy_url, dict(pace_settings), psutil.Process(legacy_proc.pid)))
            for n in counts:
                browser = {
                    "MARKWATCH_BROWSER_PROFILES": args.browser_profiles,
                    "MARKWATCH_BROWSER": platform,
                    "MARKWATCH_PATH": "today",
                    "MARKWATCH_BROWSER_CONTEXTS": n,
                    "MARKWATCH_ACCOUNTS": names[:n],
                    "MARKWATCH_ACCOUNTS_DIR": str(store.root),
                    "MARKWATCH_BROWSER_WINDOW": False,
                }
                label = f"browser x{n}, {pace}"
                plan.append((label, today_url, {**pace_settings, **browser}, psutil.Process(today_proc.pid)))
        for label, url, settings, server in plan:
            slug = re.sub(r"\W+", "-", label).strip("-")
            db = f"sqlite:///{tmp / slug}.db"
            from storage.db import ready_engine

            ready_engine(db).dispose()
            cfg = {
                "label": label,
                "brand": args.brand,
                "terms": args.terms,
                "max_pages": args.browser_max_pages,
                "platforms": [platform],
                "sandbox": url,
                "db": db,
                "pipelines": False,
                "settings": settings,
                "photos": None,
                "save": str(tmp / f"{slug}-pages"),
                "profile": None,
                "photos_only": False,
                "pss": True,
            }
            results[label] = run_child(cfg, server, tmp / f"{slug}.log")
            r = results[label]
            print(
                f"{label:<20} {r['wall']:6.1f} s  {r['search_pages']:4d}+{r['item_pages']:<4d} pages  "
                f"{r['item_scraped_count']:5d} listings {rates(r)[1]:6.1f}/s  crawler CPU {r['cpu']:5.1f} s  "
                f"peak RSS crawler+browsers {r['peak_total_mb']:6.0f} MB "
                f"(browsers {r['browser_peak_mb']:.0f} MB in {r['browser_processes']} processes); "
                f"PSS of the whole tree {r['peak_pss_mb']:.0f} MB"
            )
    finally:
        stop_sandbox(today_proc)
        stop_sandbox(legacy_proc)
    print()
    for pace in ("full", "polite"):
        base = results.get(f"HTTP, {pace}")
        if base is None:
            continue
        b_rate = rates(base)[1]
        for n in counts:
            r = results[f"browser x{n}, {pace}"]
            ratio = rates(r)[1] / b_rate if b_rate else 0.0
            verdict = ""
            if pace == "polite":
                met = "OK" if ratio >= BROWSER_RATIO_TARGET else "MISSED"
                verdict = f" [target >= {BROWSER_RATIO_TARGET}: {met}]"
            print(
                f"{pace:<6} browser x{n}: {rates(r)[1]:.1f} listings/s vs HTTP {b_rate:.1f}: "
                f"ratio {ratio:.2f}{verdict}"
            )
    four = results.get(f"browser x{max(counts)}, full")
    if four is not None:
        rss = max(four["peak_total_mb"], four["maxrss_mb"])
        ok = "OK" if rss < BROWSER_RSS_TARGET_MB else "MISSED"
        print(
            f"peak RSS with {max(counts)} contexts: {rss:.0f} MB crawler + Chromium, summed over "
            f"{four['browser_processes']} browser processes [target < {BROWSER_RSS_TARGET_MB:.0f} MB: {ok}]; "
            f"PSS of the same tree {four['peak_pss_mb']:.0f} MB"
        )
    print(f"load after: {uptime()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--size", type=int, default=16_000, help="sandbox catalogue slots")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--brand", default="veloria")
    ap.add_argument("--terms", default="veloria", help="comma-separated search terms")
    ap.add_argument("--max-pages", type=int, default=100, help="result pages per term (platform caps apply)")
    ap.add_argument("--platform", action="append", choices=PLATFORMS, help="default: all four")
    ap.add_argument("--scrapy-bench-seconds", type=int, default=10)
    ap.add_argument(
        "--image-cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "markwatch-bench-images",
        help="the sandbox's JPEG cache, kept between runs",
    )
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Scrapy setting for every crawl, to try a fix (e.g. --set CONCURRENT_ITEMS=16)",
    )
    ap.add_argument(
        "--polite-scale",
        type=float,
        default=10.0,
        help="also crawl with the real platforms' politeness (crawler/settings.py) instead of the "
        "sandbox's full speed, every delay divided by this to keep the run short (1: the real delays; "
        "0: skip)",
    )
    ap.add_argument("--no-warmup", action="store_true", help="skip the uncounted warm-up crawl")
    ap.add_argument(
        "--no-split",
        action="store_true",
        help="skip the extra crawl with every pipeline but photos (MARKWATCH_PHOTOS_DIR empty)",
    )
    ap.add_argument(
        "--profile", action="store_true", help="add a full crawl under cProfile and print where time goes"
    )
    ap.add_argument(
        "--browser",
        action="store_true",
        help="only the browser path beside the HTTP path: 1, 2, 4 browser contexts (--browser-contexts)",
    )
    ap.add_argument("--browser-contexts", default="1,2,4", help="browser contexts (accounts at once) to try")
    ap.add_argument(
        "--browser-platform", default="taobao", choices=PLATFORMS, help="platform of the browser runs"
    )
    ap.add_argument("--browser-max-pages", type=int, default=20, help="result pages per term, browser runs")
    ap.add_argument(
        "--browser-profiles",
        default="shared",
        choices=("shared", "persistent"),
        help="accounts as contexts of one Chromium (shared) or one Chromium per profile (persistent)",
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    if args.browser:
        print(f"machine: {os.cpu_count()} CPUs; load before: {uptime()}")
        with tempfile.TemporaryDirectory(prefix="markwatch-bench-browser-") as tmpdir:
            browser_bench(args, Path(tmpdir))
        return

    platforms = list(args.platform or PLATFORMS)
    overrides = dict(item.split("=", 1) for item in args.set)
    polite = polite_settings(args.polite_scale) if args.polite_scale > 0 else {}
    if overrides:
        print(f"settings tried: {overrides}")
    profile = Path(tempfile.gettempdir()) / "markwatch-bench-crawl.prof"
    print(f"machine: {os.cpu_count()} CPUs; load before: {uptime()}")
    with tempfile.TemporaryDirectory(prefix="markwatch-bench-") as tmpdir:
        tmp = Path(tmpdir)
        ceiling, all_rates = scrapy_bench(args.scrapy_bench_seconds, tmp)
        print(
            f"scrapy bench ({args.scrapy_bench_seconds} s): {ceiling:.0f} pages/s median "
            f"(intervals: {', '.join(f'{r:.0f}' for r in all_rates)})"
        )
        args.image_cache.mkdir(parents=True, exist_ok=True)
        cached = sum(1 for _ in args.image_cache.glob("*.jpg"))
        print(f"image cache {args.image_cache}: {cached} JPEGs already drawn")
        proc, url = start_sandbox(args.size, args.seed, args.image_cache)
        server = psutil.Process(proc.pid)
        from storage.db import ready_engine

        results: dict[str, dict[str, Any]] = {}
        try:
            plan = [("warm-up (off)", False)] if not args.no_warmup else []
            plan += [("full pipeline", True), ("pipelines off", False)]
            # the next scheduled crawl: same database and photo store (photos already there are not
            # fetched again: FilesPipeline's FILES_EXPIRES), every listing seen before
            plan.append(("full, re-crawl", True))
            if not args.no_split:  # where the gap is: without photo downloads; photo downloads alone
                plan += [("no photos", True), ("photos only", True)]
            if args.polite_scale > 0:  # the same pair with the real platforms' politeness
                plan += [("full, polite", True), ("off, polite", False)]
            if args.profile:  # after the measured crawls: cProfile's overhead must not touch their figures
                plan.append(("full, profiled", True))
            for label, pipelines in plan:
                slug = "full-pipeline" if label == "full, re-crawl" else re.sub(r"\W+", "-", label).strip("-")
                db = f"sqlite:///{tmp / slug}.db"
                ready_engine(db).dispose()
                cfg = {
                    "label": label,
                    "brand": args.brand,
                    "terms": args.terms,
                    "max_pages": args.max_pages,
                    "platforms": platforms,
                    "sandbox": url,
                    "db": db,
                    "pipelines": pipelines,
                    "settings": {**overrides, **polite} if "polite" in label else overrides,
                    "photos": None if label == "no photos" else str(tmp / f"{slug}-photos"),
                    "save": str(tmp / f"{slug}-pages"),
                    "profile": str(profile) if label == "full, profiled" else None,
                    "photos_only": label == "photos only",
                }
                results[label] = run_child(cfg, server, tmp / f"{slug}.log")
                show(label, results[label])
        finally:
            stop_sandbox(proc)

        full, off = results["full pipeline"], results["pipelines off"]
        f_pages, f_listings, f_cpu = rates(full)
        o_pages, o_listings, o_cpu = rates(off)
        ratio = f_listings / o_listings
        print()
        print(f"platform outcomes (full pipeline): {full['outcomes']}")
        enough = "OK" if full["unique_listings"] >= LISTINGS_TARGET else "MISSED"
        print(
            f"listings crawled: {full['item_scraped_count']} through the full pipeline, "
            f"{full['unique_listings']} distinct (platform, id); pipelines off: {off['item_scraped_count']} "
            f"[target >= {LISTINGS_TARGET}: {enough}]"
        )
        print(
            f"ratio full / pipelines off: listings/s {ratio:.2f}, pages/s {f_pages / o_pages:.2f}, "
            f"pages per crawler CPU-s {f_cpu / o_cpu:.2f} "
            f"[target >= {RATIO_TARGET}: {'OK' if ratio >= RATIO_TARGET else 'MISSED'}]"
        )
        if "no photos" in results:
            nophoto = results["no photos"]
            n_listings = rates(nophoto)[1]
            print(
                f"without photos (validate, dedupe, text scoring, store): {n_listings:.0f} listings/s = "
                f"{n_listings / o_listings:.2f} of pipelines off; peak RSS {nophoto['maxrss_mb']:.0f} MB: "
                f"the photos (download, hash, match) take the full pipeline from {n_listings:.0f} to "
                f"{f_listings:.0f} listings/s"
            )
        if "photos only" in results:
            bound = rates(results["photos only"])[1]
            print(
                f"photos only (validate, dedupe, download photos; no scoring, no storing): {bound:.0f} "
                f"listings/s = {bound / o_listings:.2f} of pipelines off: the most any pipeline that "
                "downloads each listing's photos can reach on this machine"
            )
        again = results["full, re-crawl"]
        a_listings = rates(again)[1]
        print(
            f"re-crawl (the next scheduled crawl: same database and photo store): {a_listings:.0f} "
            f"listings/s = {a_listings / o_listings:.2f} of pipelines off; "
            f"{again['file_status_count/downloaded']} photos downloaded, "
            f"{again['file_status_count/uptodate']} already stored "
            f"[target >= {RATIO_TARGET}: {'OK' if a_listings / o_listings >= RATIO_TARGET else 'MISSED'}]"
        )
        if "full, polite" in results:
            p_full, p_off = rates(results["full, polite"])[1], rates(results["off, polite"])[1]
            print(
                f"with the real platforms' politeness (delays / {args.polite_scale:g}): full pipeline "
                f"{p_full:.0f} listings/s, pipelines off {p_off:.0f} listings/s: ratio {p_full / p_off:.2f} "
                f"[target >= {RATIO_TARGET}: {'OK' if p_full / p_off >= RATIO_TARGET else 'MISSED'}]"
            )
        total = max(full["maxrss_mb"], full["peak_total_mb"])
        print(
            f"peak RSS full pipeline {full['maxrss_mb']:.0f} MB crawler, {total:.0f} MB with its scoring "
            f"workers; pipelines off {off['maxrss_mb']:.0f} MB "
            f"[target < {RSS_TARGET_MB:.0f} MB: {'OK' if total < RSS_TARGET_MB else 'MISSED'}]"
        )
        print(
            f"ceiling (scrapy bench, same machine): {ceiling:.0f} pages/s; full pipeline "
            f"{f_pages:.0f} pages/s + {full['file_count'] / full['wall']:.0f} photos/s "
            f"= {(f_pages + full['file_count'] / full['wall']) / ceiling:.2f} of it in requests; "
            f"pipelines off {o_pages:.0f} pages/s = {o_pages / ceiling:.2f} of it"
        )
        print(f"load after: {uptime()}")
        if args.profile:
            print_profile(profile, results["full, profiled"]["wall"], 30)


if __name__ == "__main__":
    main()
