"""Signing fixtures: a rendered agreement PDF, a drawn signature, the key store, NSS databases, tools."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
from pathlib import Path

import pytest
from asn1crypto import cms
from PIL import Image, ImageDraw

from mediation_svc.pki import hierarchy
from mediation_svc.pki.keystore import KeyStore

from ..conftest import TEST_PASSPHRASE

AGREEMENT_HTML = """<html lang="zh"><head><style>body{font-family:'Noto Serif CJK SC',serif}</style></head><body>
<h1>调解协议书</h1><p>粤正和调〔2026〕第0001号</p>
<p>申请人：陈秀兰　被申请人：平安人寿保险股份有限公司广东分公司</p>
<p>经调解，双方自愿达成如下协议：一、被申请人于2026年12月31日前向申请人支付保险金人民币肆拾万元整（¥400,000.00）。</p>
</body></html>"""


@pytest.fixture(scope="session")
def agreement_pdf() -> bytes:
    import weasyprint

    return weasyprint.HTML(string=AGREEMENT_HTML).write_pdf()


def drawn_signature(seed: int = 0) -> bytes:
    image = Image.new("RGBA", (360, 140), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    points = [(20 + 40 * i, 70 + ((i * 37 + seed * 13) % 50) - 25) for i in range(9)]
    draw.line(points, fill=(10, 10, 60, 255), width=7, joint="curve")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="session")
def signature_png() -> bytes:
    return drawn_signature()


@pytest.fixture(scope="session")
def keystore(keys_dir) -> KeyStore:
    return KeyStore(keys_dir, TEST_PASSPHRASE.encode())


@pytest.fixture(scope="session")
def nss_db(tmp_path_factory, keys_dir) -> Path:
    """An NSS database (certutil, libnss3-tools) in which the center's root is a trusted CA."""
    directory = tmp_path_factory.mktemp("nss")
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{directory}", "-n", "center-root", "-t", "CT,C,C",
                    "-i", str(keys_dir / f"{hierarchy.ROOT}.crt.pem")], check=True)
    return directory


@pytest.fixture(scope="session")
def empty_nss_db(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("nss-empty")
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True)
    return directory


def pdfsig(pdf_path: Path, nss_dir: Path) -> list[str]:
    """pdfsig's report, split per signature. OCSP is off: the AIA URLs are not served during tests."""
    out = subprocess.run(["pdfsig", "-nssdir", str(nss_dir), "-no-ocsp", str(pdf_path)],
                         capture_output=True, text=True)
    return re.split(r"\nSignature #\d+:", out.stdout)[1:]


def byte_range_digest(pdf: bytes, sig) -> bytes:
    a, b, c, d = (int(x) for x in sig.sig_object["/ByteRange"])
    return hashlib.sha256(pdf[a:a + b] + pdf[c:c + d]).digest()


def openssl_ts_verify(token: cms.ContentInfo, digest: bytes, root: Path, tmp_path: Path) -> str:
    path = tmp_path / f"token-{digest.hex()[:12]}.der"
    path.write_bytes(token.dump())
    out = subprocess.run(["openssl", "ts", "-verify", "-token_in", "-in", str(path), "-digest", digest.hex(),
                          "-CAfile", str(root)], capture_output=True, text=True)
    return out.stdout + out.stderr
