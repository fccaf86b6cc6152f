"""Read a ~1 GB WARC.gz: records per second, HTML pages per second and peak memory of the reader.

    uv run python benchmarks/warc_read.py [--size-mb 1024] [--path /tmp/newsfacts-bench.warc.gz] [--keep]

Writes (with warcio, once; reused while it exists) a WARC.gz in /tmp of about `--size-mb` MB: per story a
request and an HTML response (about 45 KB of page: head, scripts, navigation, 6-14 paragraphs drawn from a
pool, so pages differ), and between them PDFs (incompressible bytes), 404 pages and 301 redirects, as a
crawl holds. Then, each in a fresh process so its peak RSS (VmHWM from /proc/self/status) is its own:
1. `warcio` alone: iterate the records and read every payload (the floor: decompression and parsing WARC);
2. `newsfacts`: `read_source` on the file, as `newsfacts run` reads it (HTML through `parse_html`), counting
   articles and rejects without keeping them.
The target is memory, not speed: the reader must stay under 500 MB whatever the archive's size. Speeds are
given per wall second and per CPU second of the reading process (the second is steadier on a shared machine).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

WORDS = (
    "the government said on monday that officials were investigating reports of clashes near the border "
    "where at least people were killed and others injured according to local police minister army forces "
    "protesters gathered in the capital after the election results prices rose percent in march inflation "
    "floods storm earthquake hospital residents evacuated village district province city council president "
    "spokesman statement agency reported thousands homes destroyed aid workers emergency talks ceasefire "
    "opposition leaders parliament vote budget company shares market bank interest rate economy growth"
).split()


def _paragraphs(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(40, 110))]
        words[0] = words[0].capitalize()
        out.append(" ".join(words) + f" {rng.randint(2, 900)} people were affected.")
    return out


def _page(rng: random.Random, pool: list[str], i: int) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in rng.sample(pool, rng.randint(6, 14)))
    script = "var x=" + json.dumps([rng.random() for _ in range(800)]) + ";"
    nav = "".join(f'<li><a href="/section/{k}">Section {k}</a></li>' for k in range(60))
    return (
        f"<!doctype html><html lang=en><head><title>Story {i}</title><script>{script}</script>"
        f'<meta property="article:published_time" content="2024-05-{1 + i % 28:02d}T10:00:00Z"></head>'
        f"<body><nav><ul>{nav}</ul></nav><main><article><h1>Story {i}: {pool[i % len(pool)][:60]}</h1>{body}"
        f"</article></main><footer>{nav}</footer></body></html>"
    ).encode()


def generate(path: Path, size_mb: int) -> dict[str, int]:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    rng = random.Random(7)
    pool = _paragraphs(rng, 400)
    counts = {"records": 0, "html": 0, "pdf": 0, "404": 0, "301": 0}
    target = size_mb * 1024 * 1024
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        writer = WARCWriter(f, gzip=True)

        def write(uri: str, rec_type: str, payload: bytes, http: StatusAndHeaders) -> None:
            writer.write_record(writer.create_warc_record(uri, rec_type, payload=io.BytesIO(payload), http_headers=http))
            counts["records"] += 1

        i = 0
        while f.tell() < target:
            i += 1
            uri = f"https://news.example/{i}"
            write(uri, "request", b"", StatusAndHeaders(f"GET /{i} HTTP/1.1", [("Host", "news.example")], is_http_request=True))
            write(uri, "response", _page(rng, pool, i), StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"))
            counts["html"] += 1
            if i % 8 == 0:
                write(f"{uri}.pdf", "response", b"%PDF-1.7\n" + os.urandom(rng.randint(100_000, 400_000)),
                      StatusAndHeaders("200 OK", [("Content-Type", "application/pdf")], protocol="HTTP/1.1"))
                counts["pdf"] += 1
            if i % 20 == 0:
                write(f"{uri}/gone", "response", b"<html><body>Not found</body></html>",
                      StatusAndHeaders("404 Not Found", [("Content-Type", "text/html")], protocol="HTTP/1.1"))
                counts["404"] += 1
            if i % 15 == 0:
                write(f"{uri}/old", "response", b"", StatusAndHeaders("301 Moved Permanently", [("Location", uri)], protocol="HTTP/1.1"))
                counts["301"] += 1
    tmp.rename(path)
    path.with_suffix(".json").write_text(json.dumps(counts))
    return counts


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def read_with_warcio(path: str) -> dict:
    import gzip

    from warcio.archiveiterator import ArchiveIterator

    start, cpu = time.perf_counter(), time.process_time()
    records = payload = 0
    with open(path, "rb") as f:
        for record in ArchiveIterator(gzip.GzipFile(fileobj=f)):
            records += 1
            stream = record.content_stream()
            while chunk := stream.read(1 << 20):
                payload += len(chunk)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"records": records, "payload_mb": round(payload / 2**20), "seconds": round(seconds, 1), "cpu_s": round(cpu, 1),
            "records_per_s": round(records / seconds), "peak_rss_mb": round(_peak_rss_mb())}


def read_with_newsfacts(path: str) -> dict:
    from newsfacts.sources.readers import RawRecord, read_source

    start, cpu = time.perf_counter(), time.process_time()
    articles = 0
    rejects: dict[str, int] = {}
    summary = ""
    for item in read_source(path, max_chars=2_000_000):
        if isinstance(item, RawRecord):
            articles += 1
        else:
            rejects[item.reason] = rejects.get(item.reason, 0) + 1
            if item.reason == "skipped_records":
                summary = item.detail
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"articles": articles, "rejects": rejects, "skipped": summary, "seconds": round(seconds, 1),
            "cpu_s": round(cpu, 1), "pages_per_s": round(articles / seconds, 1),
            "pages_per_cpu_s": round(articles / cpu, 1), "peak_rss_mb": round(_peak_rss_mb())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--path", type=Path, default=Path("/tmp/newsfacts-bench.warc.gz"))
    parser.add_argument("--keep", action="store_true", help="keep the WARC for the next run")
    parser.add_argument("--child", choices=["warcio", "newsfacts"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        reader = read_with_warcio if args.child == "warcio" else read_with_newsfacts
        print(json.dumps(reader(str(args.path))))
        return
    if not args.path.exists():
        start = time.perf_counter()
        counts = generate(args.path, args.size_mb)
        print(f"wrote {args.path}: {args.path.stat().st_size / 2**20:.0f} MB, {counts} in {time.perf_counter() - start:.0f} s", flush=True)
    counts = json.loads(args.path.with_suffix(".json").read_text())
    print(f"archive: {args.path.stat().st_size / 2**20:.0f} MB gzipped, {counts}", flush=True)
    try:
        for child in ("warcio", "newsfacts"):
            out = subprocess.run(
                [sys.executable, __file__, "--child", child, "--path", str(args.path)],
                check=True, capture_output=True, text=True,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            if child == "newsfacts":
                result["records_per_s"] = round(counts["records"] / result["seconds"])
            print(f"{child:>9}: {json.dumps(result)}", flush=True)
    finally:
        if not args.keep:
            args.path.unlink(missing_ok=True)
            args.path.with_suffix(".json").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
