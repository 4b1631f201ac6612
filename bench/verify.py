"""Benchmark: verifying signed agreements (issues 7, 11, 19), side by side with poppler's ``pdfsig`` and endesive,
interleaved (A B C ... C B A) in one run, with the load average printed beside every figure.

The files: the real agreement template rendered by WeasyPrint, signed by n-1 people (one-time signer
certificates) and the center's seal, each signature with its own validation data, then closed to PAdES B-LTA
(``pades.close_lta``). Keys, CRLs and certificates come from a throw-away key directory whose certificates
point at **this benchmark's own server** (a local HTTP server on a free port serving the CA certificates and
CRLs), never at the default base URL, so an online verifier fetches from the benchmark and nothing else.

Measured:
1. growth in signatures: ``verify_pdf`` (our report: AdES LTA validation, difference analysis, revocation from
   the DSS, structure checks) for 1/2/4/8 signatures on the 3-page agreement, with pdfsig (CMS check only)
   and endesive (CMS, certificates, timestamps; no difference analysis) on the same files;
2. growth in pages: the same at 4 signatures on a 3-page and a ~30-page agreement;
3. the command line: ``mediation-svc verify FILE --json`` as a subprocess (Python start-up and imports
   included), its first run (cold) and later runs (warm) interleaved with pdfsig; and the ``--json`` folder
   mode over every file in one process.

    .venv/bin/python bench/verify.py [--runs 10] [--signatures 1,2,4,8] [--pages 3,30] [--cli-runs 10]

Goals (issue 19): 8 signatures <= 2.2x the time of 4; 30 pages <= 1.3x 3 pages; a 4-signature B-LTA file within
4x pdfsig; the CLI under 600 ms wall for one file on an idle machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.server
import io
import json
import logging
import math
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT_DIR))
sys.path.insert(0, str(ROOT_DIR / "bench"))

from _common import Samples, interleave, load_text, summary_line, timed  # noqa: E402

CASE = "粤正和调〔2026〕第0128号"
PAGES_PER_EXTRA_CLAUSE = 0.66  # one clause of twelve repetitions of the first clause, measured


# ---- the benchmark's own PKI server ------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_directory(directory: Path, port: int) -> http.server.ThreadingHTTPServer:
    """The CA certificates and CRLs the files' certificates point at, at http://127.0.0.1:<port>/pki/..."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def publish(keystore, directory: Path) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    from mediation_svc.pki import hierarchy
    from mediation_svc.pki.revocation import build_crl

    (directory / "pki").mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc)
    for name in (hierarchy.ROOT, hierarchy.ISSUING):
        cert = keystore.certificate(name)
        short = hierarchy.published_name(name)
        (directory / "pki" / f"{short}.crt").write_bytes(cert.public_bytes(Encoding.DER))
        crl = build_crl(issuer_cert=cert, issuer_key=keystore.private_key(name), revoked=[], now=now,
                        validity=dt.timedelta(days=7))
        (directory / "pki" / f"{short}.crl").write_bytes(crl.public_bytes(Encoding.DER))


# ---- the files ----------------------------------------------------------------------------------------------

def page_count(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"]["/Count"])


def render(pages: int, base_url: str) -> bytes:
    """The agreement with enough extra clauses to have at least ``pages`` pages."""
    from mediation_svc.documents import samples
    from mediation_svc.documents.rendering import render_document

    extra = 0 if pages <= 3 else math.ceil((pages - 3) / PAGES_PER_EXTRA_CLAUSE)
    while True:
        data = samples.agreement()
        data["clauses"] = data["clauses"] + [data["clauses"][0] * 12] * min(extra, 48)
        pdf = render_document("mediation_agreement", data, language="zh-CN",
                              document_id="3f2b6c1e-0000-4000-8000-000000000019",
                              verification_code="BENCH0000000VRFY", base_url=base_url).pdf
        if page_count(pdf) >= pages or extra >= 48:
            return pdf
        extra += 2


class Signer:
    """Signs like the signing service: one-time certificates, validation data after each signature, B-LTA."""

    def __init__(self, keystore, urls):
        from mediation_svc.pki import hierarchy
        from mediation_svc.pki.tsa import make_timestamper

        self.keystore, self.urls, self.stamper = keystore, urls, make_timestamper(keystore)
        self.root, self.issuing = keystore.certificate(hierarchy.ROOT), keystore.certificate(hierarchy.ISSUING)

    def context(self):
        """Fresh CRLs, issued after the signature they are for (as the signing service makes them)."""
        from mediation_svc.pki import hierarchy
        from mediation_svc.pki.revocation import build_crl
        from mediation_svc.signing import pades

        at = dt.datetime.now(dt.timezone.utc)
        crls = [build_crl(issuer_cert=cert, issuer_key=self.keystore.private_key(name), revoked=[], now=at,
                          validity=dt.timedelta(days=7))
                for name, cert in ((hierarchy.ROOT, self.root), (hierarchy.ISSUING, self.issuing))]
        return pades.validation_context(trust_roots=[self.root], other_certs=[self.issuing], crls=crls)

    def person(self, pdf: bytes, index: int) -> bytes:
        from mediation_svc.pki import hierarchy
        from mediation_svc.signing import pades

        cred = pades.issue_signer_certificate(
            identity=pades.SignerIdentity(f"签署人{index}", None, CASE, "申请人"), evidence_sha256=bytes(32),
            issuing_cert=self.issuing, issuing_key=self.keystore.private_key(hierarchy.ISSUING), chain=(self.root,),
            urls=self.urls, now=dt.datetime.now(dt.timezone.utc), lifetime=dt.timedelta(hours=1))
        field = pades.FieldPlacement(f"bench-{index}", -1, (36 + 60 * index, 40, 90 + 60 * index, 100))
        out = pades.sign(pdf, signer=cred.pyhanko_signer(), timestamper=self.stamper, field=field,
                         appearance_png=None, reason="签署", validation_context=self.context)
        cred.destroy()
        return out

    def agreement(self, pdf: bytes, signatures: int) -> bytes:
        from mediation_svc.pki import hierarchy
        from mediation_svc.signing import pades

        for index in range(signatures - 1):
            pdf = self.person(pdf, index)
        seal = pades.key_signer(self.keystore.certificate(hierarchy.SEAL),
                                self.keystore.private_key(hierarchy.SEAL), (self.issuing, self.root))
        pdf = pades.sign(pdf, signer=seal, timestamper=self.stamper,
                         field=pades.FieldPlacement("bench-seal", -1, (500, 110, 560, 170)), appearance_png=None,
                         reason="调解组织盖章", validation_context=self.context)
        return pades.close_lta(pdf, timestamper=self.stamper, context=self.context())


# ---- the verifiers ------------------------------------------------------------------------------------------

def nss_database(work: Path, root_pem: Path) -> Path:
    nss = work / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "center-root", "-t", "CT,C,C", "-i", str(root_pem)],
                   check=True, capture_output=True)
    return nss


def contenders(label: str, path: Path, root, root_pem: bytes, nss: Path, endesive_pdf) -> dict:
    from mediation_svc.verification.report import verify_pdf

    data = path.read_bytes()
    report = verify_pdf(data, trust_roots=[root])
    assert report.indication.value == "TOTAL_PASSED", report.summary
    pdfsig = ["pdfsig", "-nssdir", str(nss), "-no-ocsp", str(path)]
    found = {f"ours {label}": lambda: verify_pdf(data, trust_roots=[root]),
             f"pdfsig {label}": lambda: subprocess.run(pdfsig, capture_output=True, check=False)}
    if endesive_pdf is not None:
        found[f"endesive {label}"] = lambda: endesive_pdf.PDFVerifier(data, [root_pem]).verify_all_signatures()
    return found


def child_cpu(command: list[str], into: list[float]):
    """Run ``command``; its own CPU time (user + system, ms) goes to ``into``: on a busy machine the wall
    time of a subprocess is mostly waiting for a core, its CPU time is the work an idle machine does."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    into.append(((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000)
    return done


def cli_runs(command: list[str], nss: Path, path: Path, runs: int) -> tuple[Samples, dict[str, Samples], dict]:
    """The first run of the command line (cold), then it and pdfsig interleaved (warm); and their own CPU."""
    first, cpu = Samples(), {"cold": [], "cli": [], "pdfsig": []}
    done = timed(lambda: child_cpu(command, cpu["cold"]), first)
    assert '"TOTAL_PASSED"' in done.stdout, done.stdout[-500:] + done.stderr[-2000:]
    pdfsig = ["pdfsig", "-nssdir", str(nss), "-no-ocsp", str(path)]
    warm = interleave({"cli": lambda: child_cpu(command, cpu["cli"]),
                       "pdfsig": lambda: child_cpu(pdfsig, cpu["pdfsig"])}, runs=runs, warmup=0)
    return first, warm, {name: statistics.median(values) for name, values in cpu.items()}


def import_ms() -> float:
    """What ``mediation-svc verify`` imports, by ``python -X importtime`` (top-level modules, cumulative)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c",
                           "import mediation_svc.cli, mediation_svc.verification.cli, mediation_svc.verification.report"],
                          capture_output=True, text=True, cwd=ROOT_DIR)
    rows = [line.split("|") for line in done.stderr.splitlines() if line.startswith("import time:")]
    return sum(int(row[1]) for row in rows[1:] if not row[2].startswith("  ")) / 1000


# ---- output -------------------------------------------------------------------------------------------------

def print_curve(title: str, labels: list[str], results: dict[str, Samples]) -> None:
    print(f"\n{title} ({load_text()})")
    print(f"{'file':<14}{'ours median':>13}{'ours CPU':>10}{'pdfsig':>10}{'endesive':>10}{'ours/pdfsig':>13}")
    for label in labels:
        ours, pdfsig = results[f"ours {label}"], results[f"pdfsig {label}"]
        endesive = results.get(f"endesive {label}")
        print(f"{label:<14}{ours.median:>11.1f}ms{ours.cpu_median:>8.1f}ms{pdfsig.median:>8.1f}ms"
              f"{(f'{endesive.median:.1f}ms' if endesive else '-'):>10}{ours.median / pdfsig.median:>12.2f}x")


def ratio_line(target: str, ours: Samples, peer: Samples, limit: float) -> str:
    return summary_line(target, ours, peer=peer, goal=f"<= {limit}x", met=ours.median / peer.median <= limit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="interleaved rounds of every in-process contender")
    parser.add_argument("--signatures", default="1,2,4,8", help="signature counts on the 3-page agreement")
    parser.add_argument("--pages", default="3,30", help="page counts at 4 signatures (first: the reference)")
    parser.add_argument("--cli-runs", type=int, default=10, help="interleaved runs of the CLI and pdfsig")
    parser.add_argument("--no-endesive", action="store_true", help="leave endesive out")
    args = parser.parse_args()
    logging.getLogger("pyhanko").setLevel(logging.ERROR)
    run(args)


def run(args) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    from mediation_svc.pki import hierarchy
    from mediation_svc.pki.keystore import KeyStore, init_keys

    signature_counts = [int(n) for n in args.signatures.split(",")]
    page_counts = [int(n) for n in args.pages.split(",")]
    work = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    urls = hierarchy.PkiUrls(base_url)
    keystore = KeyStore(work / "keys", b"bench")
    init_keys(keystore, urls=urls)
    publish(keystore, work / "www")
    server = serve_directory(work / "www", port)
    root = keystore.certificate(hierarchy.ROOT)
    root_pem_path = keystore.cert_path(hierarchy.ROOT)
    nss = nss_database(work, root_pem_path)
    endesive_pdf = None
    if not args.no_endesive:
        from tests.verifiers import import_endesive

        endesive_pdf = import_endesive()
    signer = Signer(keystore, urls)
    files: dict[str, Path] = {}
    for pages in sorted(set(page_counts) | {3}):
        base = render(pages, base_url)
        counts = signature_counts if pages == 3 else [4]
        for n in counts if pages == 3 else [4]:
            path = work / "files" / f"p{pages}-s{n}.pdf"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(signer.agreement(base, n))
            files[f"{page_count(base)}p {n}sig"] = path
    print(f"files (certificates point at {base_url}, served by this benchmark):")
    for label, path in files.items():
        print(f"  {label:<10} {path.stat().st_size:>8} bytes  {path.name}")
    root_pem = root.public_bytes(Encoding.PEM)
    everything: dict = {}
    for label, path in files.items():
        everything.update(contenders(label, path, root, root_pem, nss, endesive_pdf))
    results = interleave(everything, runs=args.runs, warmup=1)
    sig_labels = [label for label in files if label.startswith("3p ")]
    page_labels = [label for label in files if label.endswith(" 4sig")]
    print_curve("growth in signatures, 3-page agreement", sig_labels, results)
    print_curve("growth in pages, 4 signatures", page_labels, results)

    venv_bin = Path(sys.executable).parent
    four = files[next(label for label in page_labels if label.startswith("3p"))]
    command = [str(venv_bin / "mediation-svc"), "verify", str(four), "--json", "--trust", str(root_pem_path)]
    first, warm, own_cpu = cli_runs(command, nss, four, args.cli_runs)
    folder = Samples()
    folder_command = [str(venv_bin / "mediation-svc"), "verify", str(four.parent), "--json", "--trust",
                      str(root_pem_path)]
    out = timed(lambda: subprocess.run(folder_command, capture_output=True, text=True), folder)
    verdicts = [json.loads(line)["indication"] for line in out.stdout.splitlines()]
    assert verdicts == ["TOTAL_PASSED"] * len(files), out.stdout[-300:]
    print(f"\ncommand line ({load_text()})")
    print(f"  mediation-svc verify, 4-signature file: first run (cold) {first.median:.1f} ms "
          f"(its CPU {own_cpu['cold']:.1f} ms), later runs (warm) median {warm['cli'].median:.1f} ms, "
          f"p95 {warm['cli'].p95:.1f} ms (CPU median {own_cpu['cli']:.1f} ms); pdfsig {warm['pdfsig'].median:.1f} ms "
          f"(CPU {own_cpu['pdfsig']:.1f} ms)")
    print(f"  imports of mediation-svc verify (python -X importtime): {import_ms():.1f} ms")
    print(f"  mediation-svc verify FOLDER --json, {len(files)} files in one process: {folder.median:.1f} ms "
          f"({folder.median / len(files):.1f} ms per file)")
    server.shutdown()
    summaries(results, sig_labels, page_labels, warm, first)


def summaries(results, sig_labels, page_labels, warm, first) -> None:
    print()
    by_sigs = {int(label.split()[1].removesuffix("sig")): label for label in sig_labels}
    if 4 in by_sigs and 8 in by_sigs:
        print(ratio_line("verify: 8 vs 4 signatures (3 pages)", results[f"ours {by_sigs[8]}"],
                         results[f"ours {by_sigs[4]}"], 2.2))
    if len(page_labels) >= 2:
        print(ratio_line(f"verify: {page_labels[-1].split()[0]} vs {page_labels[0].split()[0]} (4 signatures)",
                         results[f"ours {page_labels[-1]}"], results[f"ours {page_labels[0]}"], 1.3))
    four = page_labels[0]
    print(ratio_line("verify: 4-signature B-LTA vs pdfsig", results[f"ours {four}"], results[f"pdfsig {four}"], 4))
    if f"endesive {four}" in results:
        print(summary_line("verify: 4-signature B-LTA vs endesive", results[f"ours {four}"],
                           peer=results[f"endesive {four}"]))
    print(summary_line("verify: CLI one file, warm (subprocess)", warm["cli"], goal="< 600 ms (idle machine)",
                       met=warm["cli"].median < 600))
    print(summary_line("verify: CLI one file, cold (first run)", first))


if __name__ == "__main__":
    main()
