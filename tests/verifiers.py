"""Verifiers that share no code with the service or pyHanko, and what they look at, for the tests that
check service-signed files with them (tests/verification/test_independent_verifiers.py, the judicial flow).

endesive imports oscrypto (through wbond's certvalidator), and oscrypto 1.3.0, the newest release on PyPI,
cannot parse the version of this Debian's libcrypto ("OpenSSL 3.0.19 ...": its pattern
``\\b(\\d\\.\\d\\.\\d[a-z]*)\\b`` allows one digit of patch level), so importing it raises
``LibraryNotFoundError: Error detecting the version of libcrypto`` (wbond/oscrypto#75, #78; fixed on
oscrypto's master, not released). ``oscrypto.use_openssl(libcrypto, libssl)`` does not help: it chooses
which library is loaded, and the same version string is parsed. ``import_endesive`` applies the upstream
fix (``\\d+`` for the patch level) to that one module of oscrypto as it is imported, in this process only,
before endesive is imported; nothing is installed or changed on disk. Drop it when oscrypto > 1.3.0 is out.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import sys
from collections import Counter

from asn1crypto import cms, x509
from pyhanko.pdf_utils.reader import PdfFileReader

from .signing.conftest import byte_range_digest

ONE_DIGIT_PATCH = r"'\\b(\\d\\.\\d\\.\\d[a-z]*)\\b'"
ANY_PATCH = r"'\\b(\\d\\.\\d\\.\\d+[a-z]*)\\b'"


def import_endesive():
    """endesive.pdf, with oscrypto able to read an OpenSSL version such as 3.0.19 (see the module's text)."""
    import oscrypto

    name = f"oscrypto._openssl._libcrypto_{oscrypto.ffi()}"  # cffi when installed, else ctypes
    if name not in sys.modules and oscrypto.backend() == "openssl":
        spec = importlib.util.find_spec(name)
        source = spec.loader.get_source(name)
        if ONE_DIGIT_PATCH in source:  # a fixed oscrypto needs nothing
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            exec(compile(source.replace(ONE_DIGIT_PATCH, ANY_PATCH), spec.origin, "exec"), module.__dict__)
    import endesive.pdf

    return endesive.pdf


def timestamp_tokens(pdf: bytes) -> list[tuple[str, cms.ContentInfo, bytes]]:
    """Every RFC 3161 token in the file with the digest it must stamp: each signature's timestamp (over
    the signature value) and each document timestamp (over its byte range)."""
    reader = PdfFileReader(io.BytesIO(pdf))
    tokens = []
    for sig in reader.embedded_regular_signatures:
        info = sig.signer_info
        for attr in info["unsigned_attrs"]:
            if attr["type"].native == "signature_time_stamp_token":
                tokens.append((f"{sig.field_name} signature timestamp", attr["values"][0],
                               hashlib.sha256(info["signature"].native).digest()))
    for ts in reader.embedded_timestamp_signatures:
        tokens.append((f"{ts.field_name} document timestamp",
                       cms.ContentInfo({"content_type": "signed_data", "content": ts.signed_data}),
                       byte_range_digest(pdf, ts)))
    return tokens


def repeated_certificates(signed_data: cms.SignedData) -> list[str]:
    counts = Counter(c.chosen.dump() for c in signed_data["certificates"] or [])
    return [x509.Certificate.load(der).subject.human_friendly for der, n in counts.items() if n > 1]
