"""The report in a real browser: every plot draws, nothing errs, nothing is fetched, a screenshot is saved.

Chromium is Debian's (`apt-get install chromium`; `.ci/run` installs it), started by the
test and driven over the DevTools pipe (see `headless.py`).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from headless import CHROMIUM, PLOT_CHECK, Browser
from report_fixtures import write_synthetic_output

from conftest import good_records, write_jsonl
from thresher.cli import demo_inputs
from thresher.report import write_report

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"{CHROMIUM} is absent: install Debian's chromium (`apt-get install -y chromium`; CI does)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser() as chromium:
        yield chromium


def demo_output(tmp_path: Path) -> Path:
    """`thresher demo` when the demo corpus is in the package, else a small corpus of the same shape."""
    out = tmp_path / "demo-out"
    if any(path.exists() for path in demo_inputs()):
        command = [sys.executable, "-m", "thresher.cli", "demo", "-o", str(out)]
    else:
        records = good_records(20) + [{"id": f"short-{i}", "text": "Coming soon."} for i in range(4)]
        source = write_jsonl(tmp_path / "corpus.jsonl", records)
        with source.open("ab") as handle:
            handle.write(b'{"id": "broken", "text": \n')
        command = [sys.executable, "-m", "thresher.cli", "run", str(source), "-o", str(out), "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return out


def check_report(browser: Browser, report: Path, screenshot: Path) -> dict:
    """Open `report`; assert every plot it declares rendered as a non-empty SVG, with no errors or fetches."""
    first_event = len(browser.events)
    browser.open(report.resolve().as_uri())
    state = browser.wait_for("window.thresherReport && window.thresherReport.done && window.thresherReport")
    declared = int(browser.evaluate("document.querySelector('meta[name=thresher-plot-count]').content"))
    plots = browser.evaluate(PLOT_CHECK)
    assert declared > 0 and state["expected"] == declared == len(plots)
    assert state["failed"] == [] and state["rendered"] == declared
    for plot in plots:
        assert plot["rendered"] and plot["svg"], plot
        assert plot["width"] > 100 and plot["height"] > 50, plot
        assert plot["marks"] > 0, f"plot {plot['id']} has an SVG but no marks"
    browser.pump(0.5)  # late console messages
    events = browser.events[first_event:]
    browser.events = events
    errors = browser.console_errors()
    assert errors == [], errors
    fetched = [url for url in browser.requests() if not url.startswith(("file:", "data:", "about:", "blob:"))]
    assert fetched == [], f"the report must not touch the network: {fetched}"
    browser.screenshot(screenshot)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000
    return state


def test_demo_report_renders_every_plot(browser: Browser, tmp_path: Path):
    out = demo_output(tmp_path)
    report = out / "report.html"
    assert report.exists(), "the demo writes OUT/report.html"
    state = check_report(browser, report, tmp_path / "demo-report.png")
    assert state["rendered"] >= 4  # funnel, signal histograms, segment kinds


def test_rich_report_renders_every_kind_of_plot(browser: Browser, tmp_path: Path):
    out = tmp_path / "out"
    write_synthetic_output(out)
    report = write_report(out, policy=out / "report-test.toml")
    state = check_report(browser, report, tmp_path / "rich-report.png")
    assert state["rendered"] >= 10  # + languages, dedup clusters, segment signal, categories


def test_the_check_catches_a_plot_that_fails(browser: Browser, tmp_path: Path):
    """Guard against a vacuous check: a spec Vega-Lite rejects is reported as failed and as a console error."""
    from thresher.report import render

    good = {"data": {"values": [{"a": 1}]}, "mark": "bar", "encoding": {"x": {"field": "a", "type": "quantitative"}}}
    bad = {"data": {"values": [{"a": 1}]}, "mark": "no-such-mark"}
    body = '<div class="plot" id="plot-good" data-plot="plot-good"></div>'
    body += '<div class="plot" id="plot-bad" data-plot="plot-bad"></div>'
    page = tmp_path / "broken.html"
    page.write_text(render.page(title="broken", body=body, specs={"plot-good": good, "plot-bad": bad}))
    first_event = len(browser.events)
    browser.open(page.as_uri())
    state = browser.wait_for("window.thresherReport && window.thresherReport.done && window.thresherReport")
    assert state["expected"] == 2 and state["rendered"] == 1 and state["failed"] == ["plot-bad"]
    browser.pump(0.3)
    browser.events = browser.events[first_event:]
    assert any("plot-bad failed" in error for error in browser.console_errors())
