"""The HTML skeleton of `newsfacts report`: inline CSS and small helpers that return escaped HTML fragments.

No scripts, no web fonts, no external references: the page must open from a file on a machine without network.
"""
from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

CSS = """
:root{--ink:#1d2733;--muted:#5c6b7a;--line:#e3e7ec;--bg:#f6f7f9;--card:#fff;--ok:#1f7a3a;--warn:#a15c00;--bad:#b3261e}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
     font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{background:#1d2733;color:#fff;padding:18px 0 16px}
header h1{margin:0;font-size:22px;font-weight:600;letter-spacing:.2px}
header p{margin:4px 0 0;color:#c5cfda;font-size:13px}
.wrap{max-width:1180px;margin:0 auto;padding:0 20px}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:10px;margin:16px 0 6px}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.kpi b{display:block;font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}
.kpi span{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.4px}
.kpi small{display:block;color:var(--muted);font-size:12px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:14px 0;padding:14px 16px}
section h2{margin:0 0 2px;font-size:17px;font-weight:600}
section p.lead{margin:0 0 10px;color:var(--muted);font-size:13px}
p.note{margin:8px 0 0;color:var(--muted);font-size:12.5px}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:14px}
@media (max-width:900px){.grid2{grid-template-columns:1fr}}
.panel h3{margin:4px 0 2px;font-size:14px;font-weight:600}
svg{display:block;max-width:100%;height:auto}
svg text{font-family:inherit}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:8px 0 0;font-size:12.5px;color:var(--muted)}
.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{color:var(--muted);font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.3px}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td{overflow-wrap:break-word}
td.nowrap{white-space:nowrap}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.ok{background:#e3f4e8;color:var(--ok)}.badge.warn{background:#fff1dc;color:var(--warn)}
.badge.bad{background:#fde7e5;color:var(--bad)}.badge.none{background:#eceff3;color:var(--muted)}
.empty{padding:18px;border:1px dashed var(--line);border-radius:6px;color:var(--muted);text-align:center}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}
footer{color:var(--muted);font-size:12px;padding:6px 0 28px}
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def page(title: str, subtitle: str, kpis: Sequence[str], sections: Iterable[str], footer: str) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            "<html lang='en'><head><meta charset='utf-8'>",
            "<meta name='viewport' content='width=device-width,initial-scale=1'>",
            f"<title>{esc(title)}</title>",
            f"<style>{CSS}</style>",
            "</head><body>",
            f"<header><div class='wrap'><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></div></header>",
            "<main class='wrap'>",
            f"<div class='kpis'>{''.join(kpis)}</div>",
            *sections,
            f"<footer>{footer}</footer>",
            "</main></body></html>",
        ]
    )


def kpi(label: str, value: str, note: str = "") -> str:
    small = f"<small>{esc(note)}</small>" if note else ""
    return f"<div class='kpi'><span>{esc(label)}</span><b>{esc(value)}</b>{small}</div>"


def section(anchor: str, heading: str, lead: str, body: str, note: str = "") -> str:
    lead_html = f"<p class='lead'>{esc(lead)}</p>" if lead else ""
    note_html = f"<p class='note'>{esc(note)}</p>" if note else ""
    return f"<section id='{esc(anchor)}'><h2>{esc(heading)}</h2>{lead_html}{body}{note_html}</section>"


def panel(heading: str, body: str, note: str = "") -> str:
    note_html = f"<p class='note'>{esc(note)}</p>" if note else ""
    return f"<div class='panel'><h3>{esc(heading)}</h3>{body}{note_html}</div>"


def legend(items: Iterable[tuple[str, str]]) -> str:
    """(label, colour) pairs as an HTML legend."""
    return "<div class='legend'>" + "".join(
        f"<span><i style='background:{esc(colour)}'></i>{esc(label)}</span>" for label, colour in items
    ) + "</div>"


def badge(text: str, kind: str) -> str:
    return f"<span class='badge {esc(kind)}'>{esc(text)}</span>"


def empty(message: str) -> str:
    return f"<div class='empty'>{esc(message)}</div>"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], kinds: str = "") -> str:
    """An HTML table; cells are HTML already (escape them with `esc`). `kinds` has one letter per column:
    `n` numeric (right-aligned), `k` keep on one line, anything else wraps."""
    kinds = kinds.ljust(len(headers), "t")
    css = {"n": "n", "k": "nowrap"}
    head = "".join(f"<th class='{css.get(k, '')}'>{esc(h)}</th>" for h, k in zip(headers, kinds))
    body = "".join(
        "<tr>" + "".join(f"<td class='{css.get(k, '')}'>{cell}</td>" for cell, k in zip(row, kinds)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
