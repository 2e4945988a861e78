"""A self-contained HTML compatibility report: one file, inline CSS, SVG and one script, no URLs.

Sections: summary, charts of formats and eras, a filter box, the artifact table, each artifact's
loadability grid (TF line x loader -> loads / loads-with-changes / fails, with reasons) and
findings in a collapsed `<details>`, code findings and errors. Every value that comes from an
artifact goes through `esc` (a layer called `<script>` is shown as text), and the
Content-Security-Policy allows no remote load and exactly one script, ours, by its sha256: even
a missed escape could not run anything or call out. Without that script (a browser that refuses
it) the page is complete; only the filter box stays hidden. Long tokens wrap inside their card
at any width (checked in Chromium at 375 and 1,400 px).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Mapping

from migrator import __version__
from migrator.model import SEVERITIES, Artifact, Finding, Report, SourceFile
from migrator.report import register
from migrator.report.common import (
    VERDICTS,
    WEIGHTS_ONLY,
    all_errors,
    era,
    era_counts,
    extra_fix,
    format_counts,
    loadability_grid,
    notes_text,
    producer_text,
    range_lines,
    safe_text,
    severity_counts,
    sorted_findings,
    stop_text,
    verdict_heading,
    verdict_summary,
    where,
    worst_severity,
)

# Filters artifact rows and cards by text (path, format, producer, rules) and worst severity;
# `#q=...&min=high` in the address presets it. It reads `data-*` attributes only.
SCRIPT = """
(function () {
  var box = document.getElementById("filter");
  if (!box) { return; }
  var q = document.getElementById("q"), min = document.getElementById("min");
  var count = document.getElementById("shown");
  var items = document.querySelectorAll("[data-search]");
  function apply() {
    var words = q.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var need = parseInt(min.value, 10), rows = 0, total = 0;
    items.forEach(function (el) {
      var text = el.getAttribute("data-search");
      var rank = parseInt(el.getAttribute("data-rank"), 10);
      var ok = words.every(function (w) { return text.indexOf(w) >= 0; }) && rank >= need;
      el.hidden = !ok;
      if (el.tagName === "TR") { total += 1; rows += ok ? 1 : 0; }
    });
    count.textContent = rows + " of " + total + " artifacts shown";
  }
  var preset = new URLSearchParams(location.hash.slice(1));
  q.value = preset.get("q") || "";
  if (preset.get("min") !== null) { min.value = preset.get("min"); }
  q.addEventListener("input", apply);
  min.addEventListener("change", apply);
  box.hidden = false;
  apply();
})();
"""
SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
CSP = (
    f"default-src 'none'; script-src 'sha256-{SCRIPT_HASH}'; style-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)
# data-rank of an item: -1 none, 0..4 info..critical, 5 errors (shown by "errors" and above).
MIN_OPTIONS = (
    ("-1", "everything"),
    ("0", "any finding"),
    ("2", "medium and worse"),
    ("3", "high and worse"),
    ("4", "critical"),
    ("5", "errors only"),
)
PALETTE = ("#2563eb", "#0d9488", "#7c3aed", "#db2777", "#ea580c", "#65a30d", "#0891b2", "#9333ea")
VERDICT_LABEL = {
    "loads": "loads",
    "loads-with-changes": "loads with changes",
    "fails": "fails",
    WEIGHTS_ONLY: "only weights load",
}

CSS = """
:root { --fg:#1f2937; --muted:#6b7280; --line:#e5e7eb; --bg:#ffffff; --soft:#f9fafb; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       background: var(--bg); margin: 0 auto; padding: 24px 32px 48px; max-width: 1280px;
       overflow-wrap: anywhere; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 0 0 6px; word-break: break-all; }
.meta, .muted { color: var(--muted); }
td > code { white-space: nowrap; }
.scroll { overflow-x: auto; max-width: 100%; }
#filter { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 12px 0; }
#filter[hidden] { display: none; }
#filter input { flex: 1 1 220px; min-width: 0; padding: 6px 8px; font: inherit; }
#filter select { padding: 6px; font: inherit; }
[hidden] { display: none !important; }
code, .path { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.path { word-break: break-all; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 130px;
        background: var(--soft); }
.card .n { font-size: 22px; font-weight: 600; display: block; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.chart { border: 1px solid var(--line); border-radius: 8px; padding: 12px; background: var(--soft); }
.chart svg { display: block; max-width: 100%; height: auto; }
.charts > .chart { min-width: 0; max-width: 100%; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { background: var(--soft); font-weight: 600; white-space: nowrap; }
tbody tr:hover { background: #f3f4f6; }
.sev { display: inline-block; border-radius: 4px; padding: 0 6px; font-size: 12px; font-weight: 600;
       color: #fff; text-transform: uppercase; letter-spacing: .02em; }
.sev-critical { background: #7f1d1d; } .sev-high { background: #dc2626; }
.sev-medium { background: #d97706; } .sev-low { background: #2563eb; } .sev-info { background: #6b7280; }
.err { color: #b91c1c; font-weight: 600; }
.v { border-radius: 4px; padding: 0 6px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.v-loads { background: #dcfce7; color: #166534; }
.v-loads-with-changes { background: #fef3c7; color: #92400e; }
.v-fails { background: #fee2e2; color: #991b1b; }
.v-unknown { background: #e5e7eb; color: #374151; }
.artifact { border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin: 12px 0;
            min-width: 0; overflow-wrap: anywhere; }
.artifact > summary { cursor: pointer; list-style-position: outside; }
.artifact > summary h3 { display: inline; }
.artifact[open] > summary { margin-bottom: 8px; }
.grid { width: 100%; table-layout: fixed; margin: 8px 0 12px; }
.grid td, .grid th { border: 1px solid var(--line); overflow-wrap: anywhere; word-break: break-word;
                     white-space: normal; }
.grid th code, .grid td code { white-space: normal; overflow-wrap: anywhere; }
.grid .v { white-space: normal; }
.grid td.cell-loads { background: #f0fdf4; } .grid td.cell-loads-with-changes { background: #fffbeb; }
.grid td.cell-fails { background: #fef2f2; } .grid td.cell-none { background: var(--soft); }
.reason { display: block; color: #374151; font-size: 12px; margin-top: 2px; }
ul.findings { list-style: none; padding: 0; margin: 8px 0; }
ul.findings li { padding: 6px 0; border-bottom: 1px dashed var(--line); }
ul.findings li:last-child { border-bottom: 0; }
.fix { display: block; color: #065f46; margin-top: 2px; }
.rule { font-weight: 600; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media (max-width: 640px) { body { padding: 12px 10px 32px; }
  .artifact { padding: 10px 8px; } .grid td, .grid th { padding: 4px; font-size: 12px; }
  .card { min-width: 0; flex: 1 1 40%; } }
@media print { body { padding: 0; } .artifact { break-inside: avoid; } #filter { display: none; } }
"""


def esc(value: object) -> str:
    """Text and attribute-safe HTML for any value."""
    return html.escape(str(value), quote=True)


def prose(text: object) -> str:
    """Escaped text in which `backticked` parts become <code> (rule messages use backticks)."""
    parts = re.split(r"(`[^`]+`)", str(text))
    return "".join(f"<code>{esc(p[1:-1])}</code>" if i % 2 else esc(p) for i, p in enumerate(parts))


def anchor(path: str, kind: str = "a") -> str:
    """An id for a path that is safe in HTML whatever the path contains."""
    return f"{kind}-{hashlib.sha256(path.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}"


@register("html")
def render(report: Report) -> str:
    artifacts = sorted(report.artifacts, key=lambda a: a.path)
    sources = sorted(report.sources, key=lambda s: s.path)
    body = [
        "<header>",
        "<h1>Model compatibility report</h1>",
        f'<p class="meta">Audited <code>{esc(report.root)}</code> with migrator {esc(__version__)}'
        "</p>",
        "</header>",
        _cards(report),
        _charts(report),
        _filter(artifacts),
        _artifact_table(artifacts, verdict_heading(report)),
        _details(artifacts),
        _code(sources),
        _errors(report),
        "<footer>Verdicts are predicted from what the artifacts' own bytes record (formats, "
        "versions, configs); nothing was loaded or executed to write this report.</footer>",
    ]
    return safe_text(
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>migrator report: {esc(report.root)}</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + f"\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def _rank(artifact: Artifact) -> int:
    """The filter's severity rank: 5 for an unreadable artifact, else its worst finding's."""
    if artifact.errors:
        return 5
    worst = worst_severity(artifact.findings)
    return SEVERITIES.index(worst) if worst in SEVERITIES else -1


def _search_attrs(artifact: Artifact) -> str:
    """`data-search` (lower-case text the filter box matches) and `data-rank` of an artifact."""
    words = [artifact.path, artifact.format, producer_text(artifact), era(artifact)]
    words += sorted({f.rule for f in artifact.findings})
    words += ["error"] if artifact.errors else []
    text = " ".join(words).lower()
    return f'data-search="{esc(text)}" data-rank="{_rank(artifact)}"'


def _filter(artifacts: list[Artifact]) -> str:
    """The filter box: hidden until the script runs, so a page without it shows no dead control."""
    if not artifacts:
        return ""
    options = "".join(f'<option value="{v}">{esc(label)}</option>' for v, label in MIN_OPTIONS)
    return (
        '<section id="filter" hidden><label for="q">Filter</label>'
        '<input type="search" id="q" placeholder="path, format, producer, rule id" '
        'autocomplete="off"><label for="min">show</label>'
        f'<select id="min">{options}</select><span id="shown" class="muted"></span></section>'
    )


def _sev(severity: str | None) -> str:
    if not severity:
        return '<span class="muted">-</span>'
    return f'<span class="sev sev-{esc(severity)}">{esc(severity)}</span>'


def _verdict(verdict: str) -> str:
    known = "fails" if verdict == WEIGHTS_ONLY else verdict if verdict in VERDICTS else "unknown"
    return (
        f'<span class="v v-{known}">{esc(VERDICT_LABEL.get(verdict, verdict or "unknown"))}</span>'
    )


def _cards(report: Report) -> str:
    counts = severity_counts(report)
    n_errors = len(all_errors(report))
    cards = [
        ("artifacts", str(len(report.artifacts))),
        ("findings", str(sum(counts.values()))),
        ("errors", str(n_errors)),
    ]
    if report.sources:
        cards.insert(1, ("source files", str(len(report.sources))))
    out = ['<section class="cards" id="summary">']
    for label, n in cards:
        cls = " err" if label == "errors" and n_errors else ""
        out.append(f'<div class="card"><span class="n{cls}">{esc(n)}</span>{esc(label)}</div>')
    if counts:
        chips = " ".join(f"{_sev(s)} {n}" for s, n in counts.items())
        out.append(f'<div class="card"><span class="n">&nbsp;</span>{chips}</div>')
    out.append("</section>")
    return "\n".join(out)


def bar_chart(title: str, counts: Mapping[str, int], chart_id: str) -> str:
    """A horizontal bar chart as inline SVG (no fonts or scripts from anywhere)."""
    label_w, bar_w, value_w, row_h, top = 170, 280, 50, 26, 30
    width = label_w + bar_w + value_w
    height = top + row_h * max(len(counts), 1) + 6
    biggest = max(counts.values(), default=0) or 1
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" id="{esc(chart_id)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{esc(chart_id)}-title">',
        f'<title id="{esc(chart_id)}-title">{esc(title)}</title>',
        f'<text x="0" y="18" font-size="14" font-weight="600" fill="#1f2937">{esc(title)}</text>',
    ]
    if not counts:
        out.append(
            f'<text x="0" y="{top + 16}" font-size="12" fill="#6b7280">nothing to show</text>'
        )
    for i, (label, n) in enumerate(counts.items()):
        y = top + i * row_h
        w = max(2, round(bar_w * n / biggest))
        shown = label if len(label) <= 24 else label[:23] + "\u2026"
        color = "#9ca3af" if label in ("unknown", "unknown format") else PALETTE[i % len(PALETTE)]
        out.append(
            f'<g class="bar" data-label="{esc(label)}" data-count="{n}">'
            f"<title>{esc(label)}: {n}</title>"
            f'<text x="{label_w - 8}" y="{y + 15}" font-size="12" text-anchor="end" '
            f'fill="#374151">{esc(shown)}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{w}" height="18" rx="3" fill="{color}"/>'
            f'<text x="{label_w + w + 6}" y="{y + 15}" font-size="12" fill="#1f2937">{n}</text>'
            "</g>"
        )
    out.append("</svg>")
    return "".join(out)


def _charts(report: Report) -> str:
    if not report.artifacts:
        return ""
    return (
        '<section id="charts"><h2>Formats and eras</h2><div class="charts">'
        f'<div class="chart">{bar_chart("Artifacts by format", format_counts(report), "chart-formats")}'
        "</div>"
        f'<div class="chart">{bar_chart("Artifacts by era", era_counts(report), "chart-eras")}</div>'
        "</div></section>"
    )


def _artifact_table(artifacts: list[Artifact], heading: str) -> str:
    out = [
        '<section id="artifacts"><h2>Artifacts</h2><div class="scroll">',
        '<table class="artifacts"><thead><tr><th>Path</th><th>Format</th><th>Producer</th>'
        f"<th>Era</th><th>Notes</th><th>{esc(heading.capitalize())}</th><th>Worst finding</th>"
        "<th>Findings</th><th>Errors</th></tr></thead><tbody>",
    ]
    if not artifacts:
        out.append('<tr><td colspan="9" class="muted">No artifacts found.</td></tr>')
    for a in artifacts:
        v = verdict_summary(a)
        verdict = (
            f"{_verdict(v.verdict)} <span class='muted'>{esc(v.env)}: {esc(', '.join(v.loaders))}"
            "</span>"
            if v
            else '<span class="muted">-</span>'
        )
        has_detail = bool(a.findings or a.errors or a.loadability)
        path = (
            f'<a href="#{anchor(a.path)}" class="path">{esc(a.path)}</a>'
            if has_detail
            else f'<span class="path">{esc(a.path)}</span>'
        )
        errors = f'<span class="err">{len(a.errors)}</span>' if a.errors else "0"
        out.append(
            f'<tr class="artifact-row" data-path="{esc(a.path)}" {_search_attrs(a)}><td>{path}</td>'
            f"<td><code>{esc(a.format)}</code></td><td>{esc(producer_text(a))}</td>"
            f"<td>{esc(era(a))}</td><td>{esc(notes_text(a)) or '-'}</td><td>{verdict}</td>"
            f"<td>{_sev(worst_severity(a.findings))}</td><td>{len(a.findings)}</td>"
            f"<td>{errors}</td></tr>"
        )
    out.append("</tbody></table></div></section>")
    return "\n".join(out)


def _grid(a: Artifact) -> str:
    grid = loadability_grid(a)
    if not grid.envs:
        return ""
    head = "".join(f"<th>TF {esc(env)}</th>" if env != "-" else "<th>-</th>" for env in grid.envs)
    rows = []
    for loader in grid.loaders:
        cells = []
        for env in grid.envs:
            cell = grid.cell(env, loader)
            if cell is None:
                cells.append('<td class="cell cell-none muted">not applicable</td>')
                continue
            verdict = str(cell.get("verdict", ""))
            reason = str(cell.get("reason", "") or "")
            known = verdict if verdict in VERDICTS else "unknown"
            note = f'<span class="reason">{prose(reason)}</span>' if reason else ""
            cells.append(f'<td class="cell cell-{known}">{_verdict(verdict)}{note}</td>')
        rows.append(f"<tr><th><code>{esc(loader)}</code></th>{''.join(cells)}</tr>")
    return (
        f'<table class="grid"><thead><tr><th>Loader</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _ranges(a: Artifact) -> str:
    """Where each loader loads the artifact, and where it first stops loading (and why)."""
    lines = range_lines(a)
    if not lines:
        return ""
    items = "".join(f"<li><code>{esc(loader)}</code>: {esc(where)}</li>" for loader, where in lines)
    stop = stop_text(a, reason=True)
    tail = f'<p class="muted">{prose(stop[0].upper() + stop[1:])}</p>' if stop else ""
    return f'<ul class="ranges">{items}</ul>{tail}'


def _finding_list(findings: tuple[Finding, ...], code: bool = False) -> str:
    items = []
    for f in sorted_findings(findings, code=code):
        place = ""
        if f.line is not None:
            text = where(f) if code else f"line {f.line}"
            place = f' <span class="muted">{esc(text)}</span>'
        fix = f'<span class="fix">Fix: {prose(extra_fix(f))}</span>' if extra_fix(f) else ""
        items.append(
            f'<li class="finding">{_sev(f.severity)} <code class="rule">{esc(f.rule)}</code>'
            f"{place} {prose(f.message)}{fix}</li>"
        )
    return f'<ul class="findings">{"".join(items)}</ul>' if items else ""


def _details(artifacts: list[Artifact]) -> str:
    shown = [a for a in artifacts if a.findings or a.errors or a.loadability]
    if not shown:
        return ""
    out = ['<section id="details"><h2>Verdicts and findings per artifact</h2>']
    for a in shown:
        facts = f"<code>{esc(a.format)}</code> · {esc(producer_text(a))} · {esc(era(a))}"
        counts = f"{len(a.findings)} finding(s)" + (
            f", {len(a.errors)} error(s)" if a.errors else ""
        )
        parts = [
            f'<details class="artifact" id="{anchor(a.path)}" data-path="{esc(a.path)}" '
            f"{_search_attrs(a)}>",
            f'<summary><h3 class="path">{esc(a.path)}</h3> {_sev(worst_severity(a.findings))} '
            f'<span class="muted">{esc(counts)}</span></summary><p class="muted">{facts}</p>',
            _grid(a),
            _ranges(a),
            _finding_list(a.findings),
        ]
        parts.extend(f'<p class="err">Error: {prose(e)}</p>' for e in a.errors)
        parts.append("</details>")
        out.append("".join(p for p in parts if p))
    out.append("</section>")
    return "\n".join(out)


def _code(sources: list[SourceFile]) -> str:
    shown = [s for s in sources if s.findings or s.errors]
    if not shown:
        return ""
    out = ['<section id="code"><h2>Code findings</h2>']
    for s in shown:
        parts = [
            f'<details class="artifact source" id="{anchor(s.path, "s")}" '
            f'data-path="{esc(s.path)}">',
            f'<summary><h3 class="path">{esc(s.path)}</h3> {_sev(worst_severity(s.findings))} '
            f'<span class="muted">{len(s.findings)} finding(s)</span></summary>',
            _finding_list(s.findings, code=True),
        ]
        parts.extend(f'<p class="err">Error: {prose(e)}</p>' for e in s.errors)
        parts.append("</details>")
        out.append("".join(p for p in parts if p))
    out.append("</section>")
    return "\n".join(out)


def _errors(report: Report) -> str:
    errors = all_errors(report)
    if not errors:
        return ""
    items = "".join(f'<li class="error">{prose(e)}</li>' for e in errors)
    return f'<section id="errors"><h2>Errors ({len(errors)})</h2><ul>{items}</ul></section>'
