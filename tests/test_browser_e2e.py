"""The browser path end to end, in Debian's Chromium against today's sandbox: QR login, account check,
cool-down and rotation to the next account, the slider pause, and a crawl of all four platforms
checked against the sandbox's ground truth.

The sandbox runs in a thread of the test process (its risk control and QR hook are switched from
here); each crawl is a ``markwatch crawl`` subprocess. Small catalogue, few pages: Chromium starts are
what takes the time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.cli import cli
from crawler.login import sandbox_login, scan_in_sandbox
from markwatch.accounts import AccountStore
from markwatch.platforms import PLATFORMS
from sandbox import Sandbox, serve
from storage.db import ready_engine
from storage.models import CrawlRunPlatform, Listing

ROOT = Path(__file__).resolve().parent.parent
LATE = ("--timeout", "5")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/usr/bin/chromium").is_file(), reason="Debian's chromium is not installed"),
]


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with serve(seed=11, size=300, retry_after=1) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def accounts(sb: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> AccountStore:
    """One account per platform (``a``) and a second Taobao account (``b``), logged in by QR hook."""
    store = AccountStore(tmp_path_factory.mktemp("accounts"))
    wanted = [(p, "a") for p in PLATFORMS] + [("taobao", "b")]
    with ThreadPoolExecutor(3) as pool:
        done = list(pool.map(lambda pn: sandbox_login(store, sb.url, pn[0], pn[1]), wanted))
    assert all(d.account.logged_in for d in done)
    return store


@pytest.fixture
def fresh(sb: Sandbox, accounts: AccountStore) -> Iterator[AccountStore]:
    """Risk control off, every account unblocked and rested, before and after the test."""

    def reset() -> None:
        for platform in PLATFORMS:
            sb.today.set_risk(platform, None)
        for account in accounts.list():
            accounts.update(account.platform, account.name, cooling_until=None, last_refusal=None)

    reset()
    yield accounts
    reset()


def crawl(
    tmp: Path, sb: Sandbox, store: AccountStore, *args: str, env: dict[str, str] | None = None, **kw: object
) -> subprocess.Popen[str]:
    db = f"sqlite:///{tmp / 'm.db'}"
    ready_engine(db).dispose()
    cmd = [sys.executable, "-u", "-m", "crawler.cli", "--db", db, "crawl", "veloria", "--sandbox", sb.url]
    cmd += ["--no-progress", "--photos-dir", str(tmp / "photos"), *args]
    full_env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MARKWATCH_ACCOUNTS_DIR": str(store.root),
        "MARKWATCH_SCORE_WORKERS": "0",
        "COLUMNS": "200",
        "MARKWATCH_PATH": "today",
        "MARKWATCH_BROWSER": "auto",
        **(env or {}),
    }
    full_env.pop("DISPLAY", None) if env is None or "DISPLAY" not in env else None
    # the log goes to a file: a pipe nobody reads would fill and stop the crawl
    with (tmp / "crawl.log").open("w") as log:  # the child keeps its own copy of the descriptor
        proc: subprocess.Popen[str] = subprocess.Popen(  # type: ignore[call-overload]
            cmd, cwd=tmp, env=full_env, text=True, stdout=subprocess.PIPE, stderr=log, **kw
        )
    return proc


def finish(proc: subprocess.Popen[str], timeout: float = 240) -> tuple[int, str, str]:
    out, _ = proc.communicate(timeout=timeout)
    args = list(proc.args)  # type: ignore[arg-type]
    log = Path(str(args[args.index("--photos-dir") + 1])).parent / "crawl.log"
    return proc.returncode, out, log.read_text(errors="replace")


def platform_rows(tmp: Path) -> dict[str, CrawlRunPlatform]:
    engine = ready_engine(f"sqlite:///{tmp / 'm.db'}")
    with Session(engine) as s:
        rows = {r.platform: r for r in s.scalars(select(CrawlRunPlatform))}
        s.expunge_all()
    engine.dispose()
    return rows


# --- login and account check -------------------------------------------------------------------------


def test_login_by_qr_code_and_account_check(sb: Sandbox, tmp_path: Path) -> None:
    root = tmp_path / "acc"
    png = root / "jd" / "shop-2.qr.png"

    def scan_when_shown() -> None:
        for _ in range(240):
            if png.is_file():
                time.sleep(0.2)
                scan_in_sandbox(sb.url, "jd", "shop-2")(png)
                return
            time.sleep(0.25)

    scanner = threading.Thread(target=scan_when_shown, daemon=True)
    scanner.start()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MARKWATCH_ACCOUNTS_DIR": str(root)}
    env.pop("DISPLAY", None)
    done = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "login", "jd", "--account", "shop-2", "--sandbox", sb.url],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    scanner.join(5)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert "scan the QR code with the jd app" in done.stdout  # no display: the PNG and the terminal
    assert png.is_file() and png.read_bytes().startswith(b"\x89PNG")
    assert "logged in: jd/shop-2" in done.stdout
    runner = CliRunner()
    checked = runner.invoke(cli, ["accounts", "check", "--accounts-dir", str(root)], env={"COLUMNS": "200"})
    assert checked.exit_code == 0, checked.output
    assert "shop-2 (sandbox)" in checked.output and "yes" in checked.output
    store = AccountStore(root)
    account = store.get("jd", "shop-2")
    assert account is not None and account.logged_in and account.sandbox
    # the login outlives the browser: a new Chromium start still has the login cookie on disk
    from markwatch.accounts import profile_cookies

    names = {n for _h, n, exp in profile_cookies(store.profile_dir("jd", "shop-2")) if exp}
    assert {"thor", "pt_key"} <= names
    # a second login that nobody scans times out with one line
    late = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "login", "jd", "--account", "late", "--sandbox", sb.url, *LATE],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert late.returncode == 2
    assert late.stderr.strip().count("\n") == 0 and "no login for jd/late after 5 s" in late.stderr


# --- cool-down and rotation -------------------------------------------------------------------------


def test_a_refused_account_cools_down_and_the_crawl_goes_on_with_the_next(
    sb: Sandbox, fresh: AccountStore, tmp_path: Path
) -> None:
    sb.today.set_risk("taobao", "block", after=3)  # each account meets RGV587 after 3 requests
    _code, out, err = finish(crawl(tmp_path, sb, fresh, "--platform", "taobao", "--max-pages", "2"))
    a, b = fresh.get("taobao", "a"), fresh.get("taobao", "b")
    assert a is not None and b is not None
    assert a.last_refusal and a.cooling(), (a, out, err[-3000:])
    assert "taobao/a: refused (" in out and "cooling down until" in out  # named in the run summary
    requests = {k: v for k, v in sb.today.risk_state()["counts"].items() if k.startswith("taobao:")}
    assert requests.get("taobao:b", 0) > 0, requests  # the crawl went on with b
    row = platform_rows(tmp_path)["taobao"]
    assert row.listings > 0
    assert "rotated" in err or row.listings > 0


def test_with_every_account_refused_the_crawl_stops_named(
    sb: Sandbox, fresh: AccountStore, tmp_path: Path
) -> None:
    sb.today.set_risk("jd", "block", after=0)  # JD answers pdos_captcha to every account at once
    code, out, _err = finish(crawl(tmp_path, sb, fresh, "--platform", "jd", "--max-pages", "1"))
    assert code == 1
    row = platform_rows(tmp_path)["jd"]
    assert row.outcome.startswith("refused:"), (row.outcome, row.detail)
    assert "what to do" in (row.detail or "")
    jd = fresh.get("jd", "a")
    assert jd is not None and jd.cooling()
    assert "jd/a: refused" in out


# --- the slider pause ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb): no window for the slider pause")
    number = f":{90 + os.getpid() % 9}"
    proc = subprocess.Popen([xvfb, number, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
    time.sleep(1.0)
    try:
        yield number
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_slider_pauses_the_crawl_until_a_person_solved_it(
    sb: Sandbox, fresh: AccountStore, tmp_path: Path, display: str
) -> None:
    sb.today.set_risk("taobao", "slider", after=2)
    proc = crawl(
        tmp_path,
        sb,
        fresh,
        "--platform",
        "taobao",
        "--max-pages",
        "2",
        "--account",
        "a",
        "--window",
        env={"DISPLAY": display},
        stdin=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stdin is not None
    lines: list[str] = []
    prompted = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "solve it in the window, then press Enter" in line:
                prompted.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert prompted.wait(180), "".join(lines)
    # the person: drags the slider (the sandbox's hook stands in for the hand), then presses Enter
    assert sb.today.solve("taobao", "a")
    sb.today.set_risk("taobao", None)
    proc.stdin.write("\n")
    proc.stdin.flush()
    proc.stdin.close()
    proc.wait(180)
    reader.join(5)
    proc.stdout.close()
    out = "".join(lines)
    assert proc.returncode == 0, out[-3000:]
    account = fresh.get("taobao", "a")
    assert account is not None and not account.cooling()  # solved: no cool-down
    row = platform_rows(tmp_path)["taobao"]
    assert row.outcome == "ok" and row.listings > 0, (row.outcome, row.detail)


def test_without_a_window_the_slider_fails_named(sb: Sandbox, fresh: AccountStore, tmp_path: Path) -> None:
    sb.today.set_risk("taobao", "slider", after=0)
    code, _out, _err = finish(
        crawl(
            tmp_path, sb, fresh, "--platform", "taobao", "--max-pages", "1", "--account", "a", "--no-window"
        )
    )
    assert code == 1
    row = platform_rows(tmp_path)["taobao"]
    assert row.outcome == "refused:slider", (row.outcome, row.detail)
    assert "window" in (row.detail or "")  # what to do: solve it in the browser window


# --- all four platforms through the browser, against the ground truth --------------------------------------


def test_browser_crawl_of_all_four_platforms_finds_the_infringers(
    sb: Sandbox, fresh: AccountStore, tmp_path: Path
) -> None:
    code, out, err = finish(crawl(tmp_path, sb, fresh, "--browser", "--max-pages", "2"), timeout=400)
    assert code == 0, out[-3000:] + err[-3000:]
    rows = platform_rows(tmp_path)
    assert sorted(rows) == ["jd", "taobao", "tmall", "weibo"]
    assert all(r.outcome == "ok" and r.listings > 0 for r in rows.values()), {
        p: (r.outcome, r.detail) for p, r in rows.items()
    }
    truth = {(t["platform"], t["item_id"]): t for t in sb.truth(brand=None)}
    engine = ready_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with Session(engine) as s:
        stored = s.execute(select(Listing.platform, Listing.item_id, Listing.suspect)).all()
    engine.dispose()
    assert len(stored) > 60
    unknown = [(p, i) for p, i, _ in stored if (p, i) not in truth]
    assert unknown == []
    infringing = [(p, i) for p, i, _ in stored if truth[(p, i)]["infringing"]]
    flagged = [(p, i) for p, i, s in stored if s]
    hits = [k for k in flagged if truth[k]["infringing"]]
    clean = {"unrelated", "lookalike", "shares-words", "vocabulary-trap", "authorised"}
    false_alarms = [k for k in flagged if truth[k]["category"] in clean]
    recall = len(hits) / len(infringing)
    precision = len(hits) / (len(hits) + len(false_alarms))
    print(
        f"browser path: recall {recall:.3f} on {len(infringing)}; precision {precision:.3f} of {len(flagged)}"
    )
    assert recall >= 0.9
    assert precision >= 0.9
