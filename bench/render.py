"""Benchmark: the Chinese mediation agreement (调解协议书) to PDF, ours against headless Chromium, interleaved.

1. ours: ``documents.rendering`` (sandboxed Jinja2 -> WeasyPrint, shared FontConfiguration and parsed CSS,
   prepared font subsets, PDF/A-3b with the JSON attachment and the signers' empty fields);
2. Debian's Chromium (``/usr/bin/chromium``, never downloaded) printing the very same HTML with Playwright
   ``page.pdf()`` (warm browser and page), what many e-signature products use.

Both run A B B A ... in one process for each length (``--pages``, default 3, 10 and 30: the sample agreement,
lengthened with more clauses made of the samples' own wording until it has that many pages). Then the cold
figures: a fresh Python process rendering its first agreement (the module imports timed apart; the prepared
fonts from their disk cache, and once with an empty cache), and a fresh Chromium launched for one PDF.

Prints wall and CPU medians (CPU is this process's: all of WeasyPrint's work, only the driver's share for
Chromium), bytes and pages, the load average, and one SUMMARY line per goal (issue 19): faster than warm
Chromium at 3 and 10 pages, within 1.3x at 30, a fresh process's first render under 300 ms.

    .venv/bin/python bench/render.py [--runs 10] [--pages 3,10,30] [--cold-runs 5] [--no-chromium] [--json]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import Samples, interleave, load_text, summary_line  # noqa: E402

from mediation_svc.documents import samples  # noqa: E402
from mediation_svc.documents.rendering import get_renderer  # noqa: E402
from mediation_svc.documents.templates import TEMPLATE_DIR  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
KW = dict(language="zh-CN", document_id="0b7c6a52-3f7e-4f7a-9d54-1c2b3a4d5e6f",
          verification_code="K7QWM3XD9HFA2PRT", base_url="https://mediation.example.cn")
GOAL_RATIO = {3: 1.0, 10: 1.0, 30: 1.3}  # ours / Chromium, warm medians
COLD_GOAL_MS = 300
MAX_CLAUSES = 50  # the template's schema


def pages_of(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def extra_clause(index: int) -> str:
    """One more term in the samples' own wording (the dispute's account and the standard clauses), numbered."""
    base = samples.agreement()
    text = samples.DISPUTE.replace("\n", "") + "".join(base["clauses"]) + "".join(base["obligations"])
    return f"（补充约定第{index + 1}项）" + text * 2


def agreement_of(pages: int) -> dict:
    """The sample agreement with as many extra clauses as make it ``pages`` long (found by rendering)."""
    renderer = get_renderer()
    base = samples.agreement()

    def with_extra(count: int) -> tuple[dict, int]:
        inputs = samples.agreement(clauses=base["clauses"] + [extra_clause(i) for i in range(count)])
        return inputs, renderer.render("mediation_agreement", inputs, **KW)[0].page_count

    limit = MAX_CLAUSES - len(base["clauses"])
    inputs, got = with_extra(0)
    count = 0
    while got < pages and count < limit:
        count = min(limit, count + max(1, round((pages - got) * 0.8)))
        inputs, got = with_extra(count)
    while got > pages and count > 0:
        count -= 1
        inputs, got = with_extra(count)
    return inputs


def chromium_html(inputs: dict) -> str:
    """The same HTML WeasyPrint lays out, with the same stylesheet inlined (Chromium cannot use our fetcher)."""
    renderer = get_renderer()
    prepared = renderer.prepare("mediation_agreement", inputs, **KW)
    css = "\n".join((TEMPLATE_DIR / name).read_text(encoding="utf-8")
                    for name in renderer.stylesheet_names("zh-CN"))
    return prepared.html.replace("</head>", f"<style>{css}</style></head>", 1)


def launch_chromium(playwright):
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args)


def warm_comparison(lengths: list[int], runs: int, with_chromium: bool) -> dict:
    renderer = get_renderer()
    results: dict = {}
    playwright = browser = page = None
    if with_chromium:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        browser = launch_chromium(playwright)
        page = browser.new_page()
    try:
        for pages in lengths:
            inputs = agreement_of(pages)
            out: dict[str, bytes] = {}

            def ours(inputs=inputs) -> None:
                out["ours"] = renderer.render("mediation_agreement", inputs, **KW)[0].pdf

            contenders = {"ours": ours}
            if page is not None:
                html = chromium_html(inputs)

                def chromium(html=html) -> None:
                    page.set_content(html, wait_until="load")
                    out["chromium"] = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)

                contenders["chromium"] = chromium
            timed = interleave(contenders, runs=runs, warmup=2)
            results[pages] = {name: {**timed[name].as_dict(), "bytes": len(out[name]), "pages": pages_of(out[name]),
                                     "_samples": timed[name]} for name in timed}
            results[pages]["load"] = load_text()
        if browser is not None:
            results["chromium_version"] = browser.version
    finally:
        if browser is not None:
            browser.close()
        if playwright is not None:
            playwright.stop()
    return results


COLD_SCRIPT = r"""
import json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
sys.path.insert(0, sys.argv[1])
from mediation_svc.documents import samples
from mediation_svc.documents.rendering import render_document
t1, c1 = time.perf_counter(), time.process_time()
pdf = render_document("mediation_agreement", samples.agreement(), language="zh-CN", document_id="0b7c6a52-cold",
                      verification_code="K7QWM3XD9HFA2PRT", base_url="https://mediation.example.cn").pdf
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"imports_ms": (t1 - t0) * 1000, "first_ms": (t2 - t1) * 1000, "first_cpu_ms": (c2 - c1) * 1000,
                  "bytes": len(pdf)}))
"""

CHROMIUM_COLD_SCRIPT = r"""
import json, os, sys, time
from playwright.sync_api import sync_playwright
html = sys.stdin.read()
t0 = time.perf_counter()
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"] if os.geteuid() == 0 else [])
    page = browser.new_page()
    page.set_content(html, wait_until="load")
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    t1 = time.perf_counter()
    browser.close()
print(json.dumps({"first_ms": (t1 - t0) * 1000, "bytes": len(pdf)}))
"""


def cold_runs(runs: int, cache_dir: Path | None) -> Samples:
    """A fresh interpreter per run; ``cache_dir`` None: the configured font cache, else that directory."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["MEDIATION_FONT_CACHE_DIR"] = str(cache_dir)
    first = Samples()
    imports = []
    if cache_dir is None:  # the configured cache, filled once before the timed runs
        subprocess.run([sys.executable, "-c", COLD_SCRIPT, str(ROOT)], env=env, capture_output=True, check=True)
    for _ in range(runs):
        if cache_dir is not None:  # an empty cache each time
            for item in cache_dir.glob("*"):
                item.unlink()
        done = subprocess.run([sys.executable, "-c", COLD_SCRIPT, str(ROOT)], env=env, capture_output=True,
                              text=True, check=True)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        first.wall.append(figures["first_ms"])
        first.cpu.append(figures["first_cpu_ms"])
        imports.append(figures["imports_ms"])
    first.imports_median = statistics.median(imports)  # type: ignore[attr-defined]
    return first


def chromium_cold(runs: int) -> Samples:
    html = chromium_html(samples.agreement())
    result = Samples()
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", CHROMIUM_COLD_SCRIPT], input=html, capture_output=True,
                              text=True, check=True)
        result.wall.append(json.loads(done.stdout.strip().splitlines()[-1])["first_ms"])
        result.cpu.append(0.0)  # the work is in Chromium's processes, not this one
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="interleaved warm runs per length and renderer")
    parser.add_argument("--pages", default="3,10,30", help="agreement lengths, comma-separated")
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--no-chromium", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with_chromium = not args.no_chromium and Path(CHROMIUM).exists()
    if not args.no_chromium and not with_chromium:
        print(f"{CHROMIUM} not found: the Chromium columns are skipped", file=sys.stderr)

    lengths = [int(p) for p in args.pages.split(",")]
    print(f"start: {load_text()}")
    warm = warm_comparison(lengths, args.runs, with_chromium)
    cold = cold_runs(args.cold_runs, None)
    with tempfile.TemporaryDirectory(prefix="bench-font-cache-") as empty:
        cold_empty = cold_runs(max(1, args.cold_runs // 2), Path(empty))
    cold_chromium = chromium_cold(max(1, args.cold_runs // 2)) if with_chromium else None
    report(args, lengths, warm, cold, cold_empty, cold_chromium)
    return 0


def print_json(warm, cold, cold_empty, cold_chromium) -> None:
    clean = {str(k): ({n: {f: v for f, v in r.items() if f != "_samples"} if isinstance(r, dict) else r
                       for n, r in v.items()} if isinstance(v, dict) else v) for k, v in warm.items()}
    print(json.dumps({"warm": clean, "cold_first_render": cold.as_dict(),
                      "cold_first_render_empty_cache": cold_empty.as_dict(),
                      "cold_chromium": cold_chromium.as_dict() if cold_chromium else None}, indent=2))


def report(args, lengths, warm, cold, cold_empty, cold_chromium) -> None:
    """The table per length, one SUMMARY line per goal (and the JSON with ``--json``)."""
    if args.json:
        print_json(warm, cold, cold_empty, cold_chromium)
    for pages in lengths:
        row = warm[pages]
        print(f"{pages} pages ({row['load']}):")
        for name in ("ours", "chromium"):
            if name in row:
                r = row[name]
                print(f"  {name:9} median {r['median_ms']:8.1f} ms  p95 {r['p95_ms']:8.1f} ms  CPU {r['cpu_median_ms']:8.1f}"
                      f" ms  {r['bytes']:>9,} bytes  {r['pages']:>3} pages")
        if "chromium" in row:
            ours, peer = row["ours"]["_samples"], row["chromium"]["_samples"]
            goal = GOAL_RATIO.get(pages, 1.0)
            met = ours.median < peer.median if goal == 1.0 else ours.median <= peer.median * goal
            print(summary_line(f"render {pages}-page agreement warm vs Chromium", ours, peer=peer,
                               goal=("< 1x" if goal == 1.0 else f"<= {goal}x"), met=met))
    print(f"cold, fresh process, first render (font cache warm): {cold.as_dict()}, imports median "
          f"{cold.imports_median:.0f} ms")
    print(f"cold, fresh process, first render (empty font cache): {cold_empty.as_dict()}")
    if cold_chromium:
        print(f"cold Chromium (launch + first PDF, 3 pages): {cold_chromium.as_dict()}")
    print(summary_line("render: first agreement of a fresh process (imports apart)", cold, peer=cold_chromium,
                       goal=f"< {COLD_GOAL_MS} ms", met=cold.median < COLD_GOAL_MS))


if __name__ == "__main__":
    sys.exit(main())
