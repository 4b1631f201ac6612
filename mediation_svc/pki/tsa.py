"""RFC 3161 Time-Stamp Protocol: the center's own time-stamping authority and the TimeStamper choice.

``TimeStampAuthority.respond`` turns a DER ``TimeStampReq`` into a DER ``TimeStampResp`` (RFC 3161 §2.4),
signing the ``TSTInfo`` as CMS SignedData (RFC 5652) with pyHanko's signer, so the token carries the
ESS signing-certificate-v2 attribute that ``openssl ts -verify`` and PAdES validators require.

Signing code never reads the server clock: every signing time comes from a token obtained through a
pyHanko ``TimeStamper``, either ``InProcessTimeStamper`` (this TSA, no network hop) or pyHanko's
``HTTPTimeStamper`` pointed at an external TSA (``MEDIATION_TSA_URL``). If that fails, signing stops.
"""

from __future__ import annotations

import datetime as dt
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlsplit, urlunsplit

from asn1crypto import algos, cms, core, tsp
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign import signers
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ..coroutines import run_sync
from . import hierarchy

# A policy OID of our own, in the UUID arc (ITU-T X.667, 2.25): no registration needed, no collision.
TSA_POLICY_OID = "2.25.270344263196371012530393219367045634723"
ACCEPTED_DIGESTS = {"sha256", "sha384", "sha512"}
CONTENT_TYPE_QUERY = "application/timestamp-query"
CONTENT_TYPE_REPLY = "application/timestamp-reply"


def to_asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def other_certificates(cert: x509.Certificate, chain) -> SimpleCertificateStore:
    """The cert registry of a pyHanko signer: the chain without the signing certificate. pyHanko adds the
    signing certificate to each SignedData itself, so one in the registry too appears twice (a set of
    asn1crypto objects compares by identity), which independent verifiers refuse ("multiple signer
    certificates with the same serial")."""
    return SimpleCertificateStore.from_certs([to_asn1_cert(c) for c in chain if c != cert])


def to_asn1_key(key) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def _serial() -> int:
    return struct.unpack(">Q", os.urandom(8))[0] >> 1


class RejectionResp(core.Sequence):
    """A TimeStampResp without a token (asn1crypto's class insists on the token when encoding)."""

    _fields = [("status", tsp.PKIStatusInfo)]


def _rejection(fail_info: str, text: str) -> RejectionResp:
    return RejectionResp({"status": tsp.PKIStatusInfo({
        "status": "rejection", "status_string": [text], "fail_info": tsp.PKIFailureInfo({fail_info})})})


@dataclass
class TimeStampAuthority:
    """The time-stamping unit: certificate, key and the certificates to ship in each token."""

    cert: x509.Certificate
    key: object
    chain: tuple[x509.Certificate, ...] = ()
    # where genTime comes from; only archive tests that simulate the years ahead replace it
    clock: Callable[[], dt.datetime] | None = None

    @classmethod
    def from_keystore(cls, keystore) -> "TimeStampAuthority":
        return cls(keystore.certificate(hierarchy.TSA), keystore.private_key(hierarchy.TSA),
                   (keystore.certificate(hierarchy.ROOT),))

    @cached_property
    def _signer(self) -> signers.SimpleSigner:
        return signers.SimpleSigner(signing_cert=to_asn1_cert(self.cert), signing_key=to_asn1_key(self.key),
                                    cert_registry=other_certificates(self.cert, self.chain))

    def now(self) -> dt.datetime:
        now = self.clock() if self.clock is not None else dt.datetime.now(dt.timezone.utc)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    async def async_respond_to(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp | RejectionResp:
        imprint = req["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        if algorithm not in ACCEPTED_DIGESTS:
            return _rejection("bad_alg", f"digest algorithm {algorithm} not accepted (use SHA-256 or stronger)")
        if len(imprint["hashed_message"].native) != {"sha256": 32, "sha384": 48, "sha512": 64}[algorithm]:
            return _rejection("bad_data_format", "message imprint length does not match its algorithm")
        policy = req["req_policy"].native
        if policy is not None and policy != TSA_POLICY_OID:
            return _rejection("unaccepted_policy", f"policy {policy} not offered; this TSA uses {TSA_POLICY_OID}")
        if req["extensions"].native:
            return _rejection("unaccepted_extension", "request extensions are not supported")
        info = {
            "version": "v1",
            "policy": TSA_POLICY_OID,
            "message_imprint": imprint,
            "serial_number": _serial(),
            "gen_time": core.GeneralizedTime(self.now()),
            "accuracy": tsp.Accuracy({"seconds": 1}),
            "ordering": False,
            "tsa": asn1_x509.GeneralName(name="directory_name", value=to_asn1_cert(self.cert).subject),
        }
        if req["nonce"].native is not None:
            info["nonce"] = req["nonce"]
        content = cms.EncapsulatedContentInfo({"content_type": "tst_info",
                                               "content": cms.ParsableOctetString(tsp.TSTInfo(info).dump())})
        token = await self._signer.async_sign_general_data(content, "sha256", detached=False, use_cades=True)
        if not req["cert_req"].native:
            # certReq false: the requester already has the TSA certificate (RFC 3161 §2.4.1).
            signed = token["content"]
            signed["certificates"] = None
            token = cms.ContentInfo({"content_type": "signed_data", "content": signed})
        return tsp.TimeStampResp({"status": tsp.PKIStatusInfo({"status": "granted"}), "time_stamp_token": token})

    def respond(self, request_der: bytes) -> bytes:
        """DER TimeStampReq in, DER TimeStampResp out; a malformed request gets a rejection, not an error."""
        try:
            req = tsp.TimeStampReq.load(request_der)
            _ = req.native  # force a full parse so garbage is caught here
        except (ValueError, TypeError, OverflowError):
            return _rejection("bad_data_format", "the request is not a DER TimeStampReq").dump()
        return run_sync(self.async_respond_to(req)).dump()


class InProcessTimeStamper(TimeStamper):
    """pyHanko TimeStamper served by our own TSA without an HTTP round trip."""

    def __init__(self, authority: TimeStampAuthority) -> None:
        super().__init__()
        self.authority = authority

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return await self.authority.async_respond_to(req)


class TsaUnavailable(TimestampRequestError):
    """The external timestamp authority could not be reached or refused the request: signing must stop
    (there is no fallback to the server's clock). The message names the TSA, never its credentials."""


class ExternalTimeStamper(HTTPTimeStamper):
    """pyHanko's HTTP client for an external RFC 3161 TSA (optional HTTP basic auth), with errors that say
    which TSA failed and why."""

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        try:
            return await super().async_request_tsa_response(req)
        except TimestampRequestError as exc:
            cause = exc.__cause__
            reason = f"{type(cause).__name__}: {cause}" if cause is not None else str(exc)
            raise TsaUnavailable(f"timestamp authority {_redact(self.url)} unavailable ({reason})") from exc


def _redact(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def make_timestamper(keystore, *, url: str | None = None, timeout: float = 10.0,
                     username: str | None = None, password: str | None = None) -> TimeStamper:
    """The configured TimeStamper: an external RFC 3161 service when a URL is given, else our TSA."""
    if url:
        auth = (username, password or "") if username else None
        return ExternalTimeStamper(url, timeout=timeout, auth=auth)
    return InProcessTimeStamper(TimeStampAuthority.from_keystore(keystore))


def timestamper_from_settings(keystore, pki) -> TimeStamper:
    """``make_timestamper`` from ``PkiSettings`` (``MEDIATION_TSA_URL``, ``_USERNAME``, ``_PASSWORD``...)."""
    return make_timestamper(keystore, url=pki.tsa_url, timeout=pki.tsa_timeout_seconds,
                            username=pki.tsa_username, password=pki.tsa_secret())


def token_gen_time(token: cms.ContentInfo) -> dt.datetime:
    return token["content"]["encap_content_info"]["content"].parsed["gen_time"].native


def digest_algorithm(name: str) -> algos.DigestAlgorithm:
    return algos.DigestAlgorithm({"algorithm": name})
