"""``markwatch sandbox``: option errors are one line (exit 2); the command serves until interrupted."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import cli
from sandbox.refusals import modes_for, parse_refusal

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--refuse", "taobao"], "write PLATFORM=MODE"),
        (["--refuse", "taobao=bogus"], "unknown refusal mode 'bogus'"),
        (["--refuse", "weibo=auth605"], "does not apply to weibo"),
        (["--refuse", "ebay=login"], "unknown platform 'ebay'"),
        (["--refuse", "taobao=slider@x"], "give a number of requests"),
        (["--size", "0"], "--size 0"),
        (["--brand", "nosuchbrand", "--port", "0"], "no brand `nosuchbrand`"),
    ],
)
def test_bad_options_are_one_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["sandbox", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_parse_refusal() -> None:
    assert parse_refusal("taobao=slider@10") == ("taobao", "slider", 10)
    assert parse_refusal(" JD = auth605 ") == ("jd", "auth605", 0)


LAUNCHERS = {
    "markwatch": [sys.executable, "-c", "from crawler.cli import main; main()", "sandbox"],
    "python -m sandbox": [sys.executable, "-m", "sandbox"],
}


@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_command_serves_until_interrupted(launcher: str) -> None:
    proc = subprocess.Popen(
        [
            *LAUNCHERS[launcher],
            "--port",
            "0",
            "--size",
            "150",
            "--seed",
            "4",
            "--refuse",
            "jd=auth605",
            "--legacy",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("markwatch sandbox on http://127.0.0.1:"), first
        url = first.split()[3]
        state = json.loads(urllib.request.urlopen(f"{url}/_sandbox/state", timeout=10).read())
        assert state["seed"] == 4 and state["size"] == 150 and state["refusals"] == {"jd": "auth605"}
        body = urllib.request.urlopen(f"{url}/search.jd.com/Search?keyword=veloria", timeout=10).read()
        assert json.loads(body)["code"] == "605"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "stopping" in out


def test_python_m_sandbox_option_error_is_one_line() -> None:
    done = subprocess.run(
        [*LAUNCHERS["python -m sandbox"], "--refuse", "weibo=auth605"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    expected = f"mode 'auth605' does not apply to weibo (its modes: {', '.join(modes_for('weibo'))})"
    assert done.stderr.strip() == f"markwatch: error: {expected}"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "taobao=captcha@3",
            "--risk: unknown risk mode 'captcha' (one of: slider, block (= rgv587), deny, login)",
        ),
        ("ebay=slider@3", "--risk: unknown platform 'ebay' (one of: taobao, tmall, jd, weibo)"),
        (
            "taobao=slider@x",
            "--risk: --risk taobao=slider@x: after '@' give a number of requests, e.g. slider@20",
        ),
        ("taobao", "--risk 'taobao': write PLATFORM=MODE@N, e.g. taobao=slider@20"),
    ],
)
def test_risk_option_errors_are_one_line(spec: str, expected: str) -> None:
    done = subprocess.run(
        [*LAUNCHERS["python -m sandbox"], "--risk", spec], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == f"markwatch: error: {expected}"
