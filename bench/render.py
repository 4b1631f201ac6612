"""Benchmark: render the 3-page Chinese mediation agreement (调解协议书) to PDF, warm, two ways side by side.

1. our path: ``documents.rendering`` (sandboxed Jinja2 -> WeasyPrint, shared FontConfiguration and parsed
   CSS, prepared font subsets, PDF/A-3b with the JSON attachment);
2. headless Chromium printing the very same HTML (Playwright ``page.pdf()``, warm browser and page), what many
   e-signature products use. Debian's Chromium (``/usr/bin/chromium``); no browser is ever downloaded.

Prints median and p95 wall time, median CPU time of this process (WeasyPrint runs in it; Chromium's work
is in other processes, so its CPU column is only the driver's share), PDF bytes and pages, and the load
average, so a run on a busy machine can be read for what it is.

    .venv/bin/python bench/render.py [--runs 30] [--warmup 3] [--no-chromium] [--json]

Target (issue 5): WeasyPrint median under 150 ms warm and under 250 KB, faster than Chromium.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mediation_svc.documents import samples  # noqa: E402
from mediation_svc.documents.rendering import get_renderer  # noqa: E402
from mediation_svc.documents.templates import TEMPLATE_DIR  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
KW = dict(language="zh-CN", document_id="0b7c6a52-3f7e-4f7a-9d54-1c2b3a4d5e6f",
          verification_code="K7QWM3XD9HFA2PRT", base_url="https://mediation.example.cn")
TARGET_MS, TARGET_BYTES = 150, 250_000


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def pages_of(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def measure(render, runs: int, warmup: int) -> dict:
    for _ in range(warmup):
        render()
    wall, cpu = [], []
    pdf = b""
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        pdf = render()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return {"median_ms": statistics.median(wall) * 1000, "p95_ms": p95(wall) * 1000,
            "cpu_median_ms": statistics.median(cpu) * 1000, "bytes": len(pdf), "pages": pages_of(pdf)}


def weasyprint_run(runs: int, warmup: int) -> dict:
    renderer = get_renderer()
    inputs = samples.agreement()
    return measure(lambda: renderer.render("mediation_agreement", inputs, **KW)[0].pdf, runs, warmup)


def chromium_html() -> str:
    """The same HTML WeasyPrint lays out, with the same stylesheet inlined (Chromium cannot use our fetcher)."""
    renderer = get_renderer()
    prepared = renderer.prepare("mediation_agreement", samples.agreement(), **KW)
    css = "\n".join((TEMPLATE_DIR / name).read_text(encoding="utf-8")
                    for name in renderer.stylesheet_names("zh-CN"))
    return prepared.html.replace("</head>", f"<style>{css}</style></head>", 1)


def chromium_run(runs: int, warmup: int) -> dict:
    from playwright.sync_api import sync_playwright

    html = chromium_html()
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            page = browser.new_page()

            def render() -> bytes:
                page.set_content(html, wait_until="load")
                return page.pdf(format="A4", print_background=True, prefer_css_page_size=True)

            result = measure(render, runs, warmup)
            result["version"] = browser.version
            return result
        finally:
            browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--no-chromium", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    load_before = os.getloadavg()
    results = {"weasyprint": weasyprint_run(args.runs, args.warmup)}
    if not args.no_chromium:
        if Path(CHROMIUM).exists():
            results["chromium"] = chromium_run(args.runs, args.warmup)
        else:
            print(f"{CHROMIUM} not found: the Chromium column is skipped", file=sys.stderr)
    load_after = os.getloadavg()

    if args.json:
        print(json.dumps({"runs": args.runs, "load_before": load_before, "load_after": load_after,
                          **results}, indent=2))
    else:
        print(f"3-page Chinese mediation agreement, {args.runs} warm renders each "
              f"(load average {load_before[0]:.2f} before, {load_after[0]:.2f} after)")
        print(f"{'':36}{'median':>10}{'p95':>10}{'CPU med':>10}{'bytes':>10}{'pages':>7}")
        for name, r in results.items():
            label = {"weasyprint": "WeasyPrint (ours)",
                     "chromium": f"Chromium {r.get('version', '')} page.pdf()"}[name]
            print(f"{label:36}{r['median_ms']:>8.1f}ms{r['p95_ms']:>8.1f}ms{r['cpu_median_ms']:>8.1f}ms"
                  f"{r['bytes']:>10}{r['pages']:>7}")
    ours = results["weasyprint"]
    met = ours["median_ms"] < TARGET_MS and ours["bytes"] < TARGET_BYTES
    if "chromium" in results:
        met = met and ours["median_ms"] < results["chromium"]["median_ms"]
    if not args.json:
        print(f"target (median < {TARGET_MS} ms, < {TARGET_BYTES // 1000} KB, faster than Chromium): "
              f"{'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
