"""Score `newsfacts.sources.html.parse_html` body extraction on the HTML dev pages.

    uv run python benchmarks/score_html.py [--pred OUT.jsonl] [--worst N] [--show ID]

Runs our parser over ../shared/eval/html_dev/*.html.gz, writes the PRED.jsonl that
../shared/eval/html_score.py wants ({"id": <file name without .html.gz>, "text": ...}) and runs
that scorer on it (shingle P/R/F1 as in scrapinghub's article-extraction-benchmark). A page the
parser rejects is written with empty text. `--worst N` lists the N lowest per-page F1s and
`--show ID` prints one page's prediction next to its gold body (an id prefix is enough).
"""
from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsfacts.sources.html import parse_html  # noqa: E402
from newsfacts.sources.readers import RawRecord  # noqa: E402

EVAL_DIR = ROOT.parent / "shared" / "eval"
HTML_DIR = EVAL_DIR / "html_dev"
SCORER = EVAL_DIR / "html_score.py"
MAX_CHARS = 2_000_000


def load_scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("newsfacts_html_score", SCORER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_pages(folder: Path = HTML_DIR) -> dict[str, bytes]:
    return {p.name.removesuffix(".html.gz"): gzip.decompress(p.read_bytes()) for p in sorted(folder.glob("*.html.gz"))}


def load_gold(folder: Path = HTML_DIR) -> dict[str, dict]:
    with (folder / "ground-truth.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def predict(pages: dict[str, bytes]) -> dict[str, str]:
    """Body text per page id ("" when parse_html rejects the page)."""
    out = {}
    for page_id, raw in pages.items():
        items = list(parse_html(raw, page_id, max_chars=MAX_CHARS, url=None))
        out[page_id] = items[0].text if items and isinstance(items[0], RawRecord) else ""
    return out


def score(preds: dict[str, str], gold: dict[str, dict], ngram: int = 4) -> tuple[dict, dict]:
    """(summary, per-page scores), computed by html_score.py's own `score` function."""
    return load_scorer().score(gold, preds, ngram)


def write_pred(preds: dict[str, str], path: Path) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for page_id, text in preds.items():
            fh.write(json.dumps({"id": page_id, "text": text}, ensure_ascii=False) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pred", default="/tmp/newsfacts_html_pred.jsonl", help="where to write PRED.jsonl")
    ap.add_argument("--worst", type=int, default=0, help="list the N pages with the lowest F1")
    ap.add_argument("--show", help="print prediction and gold of the page whose id starts with this")
    args = ap.parse_args()

    pages = load_pages()
    started = time.perf_counter()
    preds = predict(pages)
    elapsed = time.perf_counter() - started
    write_pred(preds, Path(args.pred))
    mb = sum(map(len, pages.values())) / 1e6
    print(f"parsed {len(pages)} pages ({mb:.1f} MB) in {elapsed:.2f} s ({len(pages) / elapsed:.0f} pages/s)")
    subprocess.run([sys.executable, str(SCORER), args.pred, "--gold", str(HTML_DIR / "ground-truth.json")], check=True)

    gold = load_gold()
    if args.worst:
        _, per_page = score(preds, gold)
        for page_id, r in sorted(per_page.items(), key=lambda kv: kv[1]["f1"])[: args.worst]:
            print(f"{page_id[:10]}  P={r['precision']:.2f} R={r['recall']:.2f} F1={r['f1']:.2f}  {gold[page_id]['url'][:80]}")
    if args.show:
        [page_id] = [p for p in pages if p.startswith(args.show)]
        print("=== PRED ===\n" + preds[page_id] + "\n=== GOLD ===\n" + gold[page_id]["articleBody"])


if __name__ == "__main__":
    main()
