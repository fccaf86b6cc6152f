"""Our HTML body extraction against trafilatura on the HTML dev pages, in one run: speed and body F1.

    uv run python benchmarks/html_vs_trafilatura.py [--repeat 3] [--warc-copies 20] [--json FILE]

On ../shared/eval/html_dev/*.html.gz (the pages `benchmarks/score_html.py` scores):
1. body F1 with the official scorer (../shared/eval/html_score.py, 4-token shingles) of
   `newsfacts.sources.html.parse_html` and of `trafilatura.extract` (dev-only dependency) in several
   settings (`include_comments=False` always; default, `favor_precision`, `favor_recall`); the one with
   the best F1 is trafilatura's entry in the table;
2. pages per second of each, over `--repeat` passes on the same bytes (best pass), per wall second and per
   CPU second of this process (the CPU figure is the steadier one on a shared machine), and their ratio;
3. through a WARC: the dev pages written `--warc-copies` times with warcio into a WARC.gz in /tmp (a
   request and a 200 text/html response per page, and per copy one PDF, one 404 and one redirect record),
   then read by `newsfacts.sources.warc` exactly as `newsfacts run` reads it (`benchmarks/warc_read.py`'s
   readers, each in a fresh process): WARC records per second and HTML pages per second through extraction,
   beside warcio alone reading the same file (the floor).

Both extractors get the page's raw bytes and decode them themselves.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from score_html import load_gold, load_pages, predict, score  # noqa: E402

TRAFILATURA_SETTINGS = {
    "default": {},
    "favor_precision": {"favor_precision": True},
    "favor_recall": {"favor_recall": True},
}


def trafilatura_predict(pages: dict[str, bytes], options: dict) -> dict[str, str]:
    import trafilatura

    out = {}
    for page_id, raw in pages.items():
        text = trafilatura.extract(raw, include_comments=False, **options)
        out[page_id] = text or ""
    return out


def timed(fn, pages: dict[str, bytes], repeat: int) -> dict:
    """Best of `repeat` passes: wall and CPU seconds, pages per second of each, and the last predictions."""
    walls, cpus = [], []
    preds: dict[str, str] = {}
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        preds = fn(pages)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    wall, cpu = min(walls), min(cpus)
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "median_wall_s": round(statistics.median(walls), 3),
            "pages_per_s": round(len(pages) / wall, 1), "pages_per_cpu_s": round(len(pages) / cpu, 1), "preds": preds}


def build_warc(pages: dict[str, bytes], copies: int, path: Path) -> dict[str, int]:
    """The dev pages as a WARC.gz crawl, `copies` times over (distinct URIs each time)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    counts = {"records": 0, "html": 0, "other": 0}
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=True)

        def write(uri: str, rec_type: str, payload: bytes, http: StatusAndHeaders) -> None:
            writer.write_record(writer.create_warc_record(uri, rec_type, payload=io.BytesIO(payload), http_headers=http))
            counts["records"] += 1

        for copy in range(copies):
            for page_id, raw in pages.items():
                uri = f"https://dev.example/{copy}/{page_id}"
                write(uri, "request", b"", StatusAndHeaders(f"GET /{copy}/{page_id} HTTP/1.1", [("Host", "dev.example")],
                                                             is_http_request=True))
                write(uri, "response", raw, StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                                             protocol="HTTP/1.1"))
                counts["html"] += 1
            base = f"https://dev.example/{copy}"
            write(f"{base}/report.pdf", "response", b"%PDF-1.7\n" + os.urandom(50_000),
                  StatusAndHeaders("200 OK", [("Content-Type", "application/pdf")], protocol="HTTP/1.1"))
            write(f"{base}/gone", "response", b"<html><body>Not found</body></html>",
                  StatusAndHeaders("404 Not Found", [("Content-Type", "text/html")], protocol="HTTP/1.1"))
            write(f"{base}/old", "response", b"", StatusAndHeaders("301 Moved Permanently", [("Location", base)], protocol="HTTP/1.1"))
            counts["other"] += 3
    return counts


def warc_readers(path: Path) -> dict[str, dict]:
    """warc_read.py's two readers on `path`, each in a fresh process."""
    script = ROOT / "benchmarks" / "warc_read.py"
    out = {}
    for child in ("warcio", "newsfacts"):
        done = subprocess.run([sys.executable, str(script), "--child", child, "--path", str(path)],
                              check=True, capture_output=True, text=True)
        out[child] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def _f1(summary: dict) -> dict:
    return {k: round(summary[k], 4) for k in ("precision", "recall", "f1", "mean_page_f1")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="timed passes over the pages per extractor (best is kept)")
    ap.add_argument("--warc-copies", type=int, default=20, help="times the dev pages are written into the WARC (0: skip)")
    ap.add_argument("--json", type=Path, help="write the results here as JSON")
    args = ap.parse_args()

    import trafilatura

    pages, gold = load_pages(), load_gold()
    mb = sum(map(len, pages.values())) / 1e6
    print(f"{len(pages)} dev pages, {mb:.1f} MB of HTML; trafilatura {trafilatura.__version__}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)

    # warm-up: imports, lxml, regex compilation
    predict(dict(list(pages.items())[:2]))
    trafilatura_predict(dict(list(pages.items())[:2]), {})

    ours = timed(predict, pages, args.repeat)
    ours["score"] = _f1(score(ours.pop("preds"), gold)[0])
    theirs: dict[str, dict] = {}
    for name, options in TRAFILATURA_SETTINGS.items():
        result = timed(lambda p, o=options: trafilatura_predict(p, o), pages, args.repeat)
        result["score"] = _f1(score(result.pop("preds"), gold)[0])
        result["options"] = {"include_comments": False, **options}
        theirs[name] = result
        print(f"trafilatura {name}: F1 {result['score']['f1']:.4f}, {result['pages_per_s']} pages/s", flush=True)
    best = max(theirs, key=lambda n: theirs[n]["score"]["f1"])
    tf = theirs[best]
    ratio = {"wall": round(ours["pages_per_s"] / tf["pages_per_s"], 2),
             "cpu": round(ours["pages_per_cpu_s"] / tf["pages_per_cpu_s"], 2)}

    print()
    print(f"| extractor | body P | body R | body F1 | pages/s (wall) | pages/CPU s | best wall s / {len(pages)} pages |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rows = [("newsfacts parse_html", ours)] + [(f"trafilatura ({n})", theirs[n]) for n in theirs]
    for label, r in rows:
        s = r["score"]
        mark = " (best F1)" if r is tf else ""
        print(f"| {label}{mark} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.4f} | {r['pages_per_s']} | "
              f"{r['pages_per_cpu_s']} | {r['wall_s']} |")
    print(f"\nours / trafilatura ({best}): {ratio['wall']}x pages per wall second, {ratio['cpu']}x per CPU second "
          f"(target >= 3x); body F1 {ours['score']['f1']:.4f} vs {tf['score']['f1']:.4f} (target >= 0.97)")

    warc: dict = {}
    if args.warc_copies > 0:
        with tempfile.TemporaryDirectory(prefix="newsfacts-html-warc-") as tmp:
            path = Path(tmp) / "dev-pages.warc.gz"
            counts = build_warc(pages, args.warc_copies, path)
            read = warc_readers(path)
            nf = read["newsfacts"]
            warc = {"records": counts["records"], "html_records": counts["html"], "mb": round(path.stat().st_size / 2**20, 1),
                    "warcio_only": read["warcio"], "newsfacts": nf,
                    "records_per_s": round(counts["records"] / nf["seconds"]) if nf["seconds"] else None,
                    "records_per_cpu_s": round(counts["records"] / nf["cpu_s"]) if nf["cpu_s"] else None}
        print(f"\nWARC.gz of {warc['records']} records ({warc['html_records']} HTML pages, {warc['mb']} MB): "
              f"newsfacts {warc['records_per_s']} records/s ({warc['records_per_cpu_s']} per CPU s), "
              f"{nf['pages_per_s']} pages/s ({nf['pages_per_cpu_s']} per CPU s), {nf['articles']} articles, "
              f"peak RSS {nf['peak_rss_mb']} MB; warcio alone {read['warcio']['records_per_s']} records/s")

    if args.json:
        args.json.write_text(json.dumps({
            "pages": len(pages), "html_mb": round(mb, 2), "trafilatura_version": trafilatura.__version__,
            "load_average": round(os.getloadavg()[0], 1), "cpus": os.cpu_count(),
            "ours": ours, "trafilatura": theirs, "trafilatura_best": best, "ratio": ratio, "warc": warc,
        }, indent=2))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
