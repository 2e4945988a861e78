"""The HTML report in a real browser (headless Chromium): it renders the artifact table, the SVG
charts and the verdict grids, shows hostile artifact names as text, runs no script but its own
filter, and nothing overflows its card at phone (375 px) or desktop (1,400 px) width.

Skipped only where Chromium is absent and `CI` is unset; in CI a missing browser is a failure
(`.ci/run` installs Debian's `chromium`)."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from migrator.model import Artifact, Finding, Reading, Report
from migrator.report import html
from tests.test_reports import HOSTILE, HOSTILE_LAYER, Tags, sample_report

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PWNED = "data-pwned"


@pytest.fixture(scope="module")
def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    message = f"no headless browser found (tried {', '.join(BROWSERS)}); apt-get install chromium"
    if os.environ.get("CI"):
        pytest.fail(f"{message}: CI must run the HTML report's browser test")
    pytest.skip(message)


def chromium(
    browser: str, tmp: Path, page: Path | str, *extra: str, size: tuple[int, int] = (1280, 2000)
) -> str:
    """Run headless Chromium on `page` (a file or a file URI) with no network, profile or sync;
    return stdout."""
    args = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp / 'profile'}",
        f"--window-size={size[0]},{size[1]}",
        *extra,
        page if isinstance(page, str) else page.as_uri(),
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def dump_dom(
    browser: str, tmp: Path, page: Path | str, size: tuple[int, int] = (1280, 2000)
) -> str:
    dom = chromium(browser, tmp, page, "--dump-dom", "--virtual-time-budget=2000", size=size)
    assert "<html" in dom, "Chromium printed no DOM"
    return dom


def test_browser_runs_scripts_in_a_page_that_does_not_escape(browser, tmp_path):
    """Control: under these flags Chromium does run inline script and inline handlers, so the
    absence of their effects in the report below means something."""
    page = tmp_path / "naive.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>t</title></head><body>"
        f"<p>{HOSTILE}</p><p>{HOSTILE_LAYER}</p></body></html>",
        encoding="utf-8",
    )
    dom = dump_dom(browser, tmp_path, page)
    assert f'{PWNED}="1"' in dom


def test_report_renders_rows_charts_grids_and_no_script_runs(browser, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(html.render(sample_report()), encoding="utf-8")
    dom = dump_dom(browser, tmp_path, page)
    parsed = Tags(dom)

    rows = [
        a["data-path"] for t, a in parsed.tags if t == "tr" and a.get("class") == "artifact-row"
    ]
    assert rows == sorted(a.path for a in sample_report().artifacts)
    assert {a.get("id") for t, a in parsed.tags if t == "svg"} == {"chart-formats", "chart-eras"}
    assert sum(1 for t, _ in parsed.tags if t == "rect") == 3 + 5  # 3 formats, 5 eras
    assert sum(1 for t, a in parsed.tags if t == "table" and a.get("class") == "grid") == 3

    text = " ".join("".join(parsed.text).split())
    assert HOSTILE in text and HOSTILE_LAYER in text  # shown as text...
    scripts = [t for t, _ in parsed.tags if t == "script"]
    assert len(scripts) == 1 and html.SCRIPT.strip() in dom  # ...never elements: one script, ours
    assert "img" not in {t for t, _ in parsed.tags}
    assert PWNED not in {k for _, a in parsed.tags for k in a}  # the payload did not run
    title = dom[dom.index("<title>") + 7 : dom.index("</title>")]
    assert title == "migrator report: /audit/root"  # the onerror payload did not run either


def test_escaping_alone_stops_the_payload(browser, tmp_path):
    """Without the Content-Security-Policy (a second line of defence) nothing runs either."""
    text = html.render(sample_report())
    start = text.index('<meta http-equiv="Content-Security-Policy"')
    text = text[:start] + text[text.index(">", start) + 1 :]
    assert "Content-Security-Policy" not in text
    page = tmp_path / "no-csp.html"
    page.write_text(text, encoding="utf-8")
    parsed = Tags(dump_dom(browser, tmp_path, page))
    assert PWNED not in {k for _, a in parsed.tags for k in a}
    assert "img" not in {t for t, _ in parsed.tags}
    assert [t for t, _ in parsed.tags].count("script") == 1  # ours, the filter


def test_report_screenshot_is_a_rendered_page(browser, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(html.render(sample_report()), encoding="utf-8")
    shot = tmp_path / "report.png"
    chromium(browser, tmp_path, page, f"--screenshot={shot}")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # a blank page compresses to a few KB


# Headless Chromium will not make a window narrower than 500 px, so the report is laid out in
# an iframe of the wanted width (a `srcdoc` frame: same origin, so the page around it can look
# inside). This opens every <details>, then lists each card, chart, section or grid wider than
# its box, and whether the frame's page scrolls sideways.
MEASURE = """
window.addEventListener("load", function () {
  var frame = document.getElementById("frame");
  var doc = frame.contentDocument, win = frame.contentWindow;
  doc.querySelectorAll("details").forEach(function (d) { d.open = true; });
  var wide = [];
  doc.querySelectorAll(".artifact, .card, .chart, section, table.grid, header").forEach(
    function (el) {
      if (el.scrollWidth > el.clientWidth + 1) {
        wide.push((el.id || el.className || el.tagName) + ":" + el.scrollWidth + ">" +
                  el.clientWidth);
      }
    });
  if (doc.documentElement.scrollWidth > win.innerWidth + 1) {
    wide.push("page:" + doc.documentElement.scrollWidth);
  }
  document.body.setAttribute("data-overflow", JSON.stringify(wide));
  document.body.setAttribute("data-width", String(win.innerWidth));
  document.body.setAttribute("data-grids", String(doc.querySelectorAll("table.grid").length));
});
"""
LONG_TOKEN = "x" * 150


def long_token_report() -> Report:
    """The sample plus an artifact whose path, loader and reasons are single 150-character words."""
    base = sample_report()
    cell = {"verdict": "fails", "reason": f"`{LONG_TOKEN}` is unknown to `keras.{LONG_TOKEN}`"}
    load = {f"{tf}/keras.load_model_{LONG_TOKEN}": cell for tf in ("2.12", "2.15", "2.16", "2.21")}
    long = Artifact(
        f"deep/{LONG_TOKEN}.h5",
        Path(f"/audit/root/deep/{LONG_TOKEN}.h5"),
        Reading("keras-h5", {"keras_version": "2." + LONG_TOKEN}, {"model_class": LONG_TOKEN}),
        (f"deep/{LONG_TOKEN}.h5",),
        (Finding("MIG301", "critical", f"layer `{LONG_TOKEN}` holds bytecode; rebuild it."),),
        load,
    )
    return replace(base, artifacts=(*base.artifacts, long))


def measured_page(tmp: Path, width: int) -> Path:
    """The report in a `width`-pixel frame, with MEASURE run by the page around it."""
    report = html.render(long_token_report())
    page = tmp / "measured.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>frame</title></head><body style='margin:0'>"
        f'<iframe id="frame" style="border:0" width="{width}" height="2000" '
        f'srcdoc="{html.esc(report)}"></iframe><script>{MEASURE}</script></body></html>',
        encoding="utf-8",
    )
    return page


@pytest.mark.parametrize("width", [375, 1400])
def test_nothing_overflows_its_card(browser, tmp_path, width):
    dom = dump_dom(browser, tmp_path, measured_page(tmp_path, width), size=(1600, 2000))
    body = next(a for t, a in Tags(dom).tags if t == "body")
    assert body.get("data-width") == str(width)  # the page really was laid out at that width
    assert body.get("data-grids") == "4"  # the grids were there and measured open
    assert json.loads(body["data-overflow"]) == []


@pytest.mark.parametrize("width", [375, 1400])
def test_screenshot_at_phone_and_desktop_width(browser, tmp_path, width):
    page = tmp_path / "report.html"
    page.write_text(html.render(long_token_report()), encoding="utf-8")
    shot = tmp_path / f"report-{width}.png"
    chromium(browser, tmp_path, page, f"--screenshot={shot}", size=(width, 1600))
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (width, 1600)  # IHDR: width, height
    assert len(data) > 15_000


def test_inline_code_is_rendered_and_details_are_collapsed(browser, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(html.render(long_token_report()), encoding="utf-8")
    parsed = Tags(dump_dom(browser, tmp_path, page))
    details = [a for t, a in parsed.tags if t == "details"]
    assert details and not any("open" in a for a in details)  # collapsed until asked
    text = "".join(parsed.text)
    assert f"`{LONG_TOKEN}`" not in text  # backticks became <code>, not text
    codes = sum(1 for t, _ in parsed.tags if t == "code")
    assert codes >= 8


def test_filter_box_hides_what_does_not_match(browser, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(html.render(sample_report()), encoding="utf-8")
    parsed = Tags(dump_dom(browser, tmp_path, page.as_uri() + "#q=theano"))
    rows = {
        a["data-path"]: "hidden" in a for t, a in parsed.tags if a.get("class") == "artifact-row"
    }
    assert rows == {p: p != "models/keras1_theano.h5" for p in rows}
    box = next(a for t, a in parsed.tags if a.get("id") == "filter")
    assert "hidden" not in box  # the script ran (allowed by its hash) and showed the box
    assert "1 of 5 artifacts shown" in "".join(parsed.text)
    parsed = Tags(dump_dom(browser, tmp_path, page.as_uri() + "#min=5"))  # errors only
    hidden = {a["data-path"] for t, a in parsed.tags if t == "tr" and "hidden" in a}
    assert "models/broken.keras" not in hidden and "models/current.keras" in hidden
