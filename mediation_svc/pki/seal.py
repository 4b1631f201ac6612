"""The center's organisation seal (电子公章) as a pyHanko ``Signer``: the encrypted key file, or an HSM.

The HSM is reached through PKCS#11 (OASIS PKCS #11 v2.40) with python-pkcs11 (the ``hsm`` extra) and
pyHanko's ``PKCS11Signer``. A real center generates the seal key *inside* the token, sensitive and never
extractable, and has the issuing CA certify its public key: ``generate_seal_in_hsm`` does exactly that
(``mediation-svc keys generate-seal-in-hsm``). The certificate is kept in the token beside the key (same
label and CKA_ID, as smart-card middleware expects) and in ``keys/seal-hsm.crt.pem`` for publication.

Settings (``MEDIATION_SEAL_PKCS11_*``, see ``pki.settings``): the module path, the token label, the user PIN
(or a secrets file) and the key label. Without a module the seal is the ``seal`` key in the key store.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, load_der_public_key
from pyhanko.sign import signers

from ..coroutines import run_sync
from ..errors import ServiceUnavailable
from . import hierarchy
from .settings import PkiSettings, get_pki_settings
from .tsa import other_certificates, to_asn1_cert, to_asn1_key

if TYPE_CHECKING:
    from pkcs11 import Session as TokenSession  # the ``hsm`` extra: only needed when a token is configured


class SealUnavailable(ServiceUnavailable):
    """The seal cannot sign: HSM module, token, PIN or key missing or wrong, or the token stopped answering.
    The message says which; as problem+json it is a 503 (nothing was signed)."""

    slug, title = "seal-unavailable", "The center's seal cannot sign right now"


def _pki(settings) -> PkiSettings:
    # Callers may hand in the app's general Settings; the PKCS#11 fields live in PkiSettings.
    return settings if isinstance(settings, PkiSettings) else get_pki_settings()


def seal_certificate(keystore, settings=None) -> x509.Certificate:
    """The certificate the seal currently signs with (the HSM one when an HSM is configured)."""
    name = hierarchy.SEAL_HSM if _pki(settings).seal_in_hsm else hierarchy.SEAL
    return keystore.certificate(name)


def seal_signer(keystore, settings=None) -> signers.Signer:
    """The center's seal signer: PKCS#11 when ``MEDIATION_SEAL_PKCS11_MODULE`` is set, else the key file."""
    pki = _pki(settings)
    chain = [keystore.certificate(hierarchy.ISSUING), keystore.certificate(hierarchy.ROOT)]
    if not pki.seal_in_hsm:
        cert = keystore.certificate(hierarchy.SEAL)
        return signers.SimpleSigner(
            signing_cert=to_asn1_cert(cert), signing_key=to_asn1_key(keystore.private_key(hierarchy.SEAL)),
            cert_registry=other_certificates(cert, chain))
    slot = _token_slot(pki)
    signer = _serialised_pkcs11_signer_class()(
        slot.session, key_label=pki.seal_pkcs11_key_label, cert_label=pki.seal_pkcs11_key_label,
        ca_chain=[to_asn1_cert(c) for c in chain], embed_roots=True,
        # Hash here and let the token do plain ECDSA: every PKCS#11 token has CKM_ECDSA, not all have
        # the hash-and-sign mechanisms.
        use_raw_mechanism=True)
    signer.lock = slot.lock
    with slot.lock:
        try:
            run_sync(signer.ensure_objects_loaded())
        except Exception as exc:  # pyHanko and python-pkcs11 raise several types for "not there"
            raise SealUnavailable(f"seal key or certificate '{pki.seal_pkcs11_key_label}' not usable in "
                                  f"token '{pki.seal_pkcs11_token_label}': {exc}; run: mediation-svc keys "
                                  "generate-seal-in-hsm") from exc
    return signer


@lru_cache(maxsize=1)
def _serialised_pkcs11_signer_class():
    # imported late: pyHanko's PKCS#11 module needs python-pkcs11, which only the ``hsm`` extra installs
    from pyhanko.sign.pkcs11 import PKCS11Signer

    class SerialisedPKCS11Signer(PKCS11Signer):
        """One PKCS#11 session is shared by all requests in a process; its signing operations run one at
        a time (a session cannot carry two active operations, PKCS #11 v2.40 §5.1)."""

        lock: threading.Lock

        async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
            if dry_run:
                return await super().async_sign_raw(data, digest_algorithm, dry_run=True)
            from pkcs11.exceptions import PKCS11Error

            await asyncio.get_running_loop().run_in_executor(None, self.lock.acquire)
            try:
                return await super().async_sign_raw(data, digest_algorithm)
            except PKCS11Error as exc:
                # a token that was restarted or pulled leaves a dead session: drop it, the next seal reopens
                close_hsm_sessions()
                raise SealUnavailable(f"the HSM refused to sign ({type(exc).__name__}); nothing was signed, "
                                      "try again") from exc
            finally:
                self.lock.release()

    return SerialisedPKCS11Signer


@dataclass
class _Slot:
    session: TokenSession
    lock: threading.Lock


_slots: dict[tuple, _Slot] = {}
_slots_lock = threading.Lock()


def _token_slot(pki: PkiSettings) -> _Slot:
    """A logged-in session on the seal token, opened once per process and reused."""
    key = (str(pki.seal_pkcs11_module), pki.seal_pkcs11_token_label)
    with _slots_lock:
        if key not in _slots:
            _slots[key] = _Slot(open_token(pki), threading.Lock())
        return _slots[key]


def close_hsm_sessions() -> None:
    """Close the cached PKCS#11 sessions (shutdown, or after the token was re-initialised)."""
    with _slots_lock:
        for slot in _slots.values():
            with contextlib.suppress(Exception):  # closing a dead session is not an error worth reporting
                slot.session.close()
        _slots.clear()


def open_token(pki: PkiSettings, *, rw: bool = False):
    """Open and log in to the configured token; a clear SealUnavailable instead of a PKCS#11 code."""
    try:
        import pkcs11
        from pkcs11 import exceptions as p11
    except ImportError as exc:
        raise SealUnavailable("PKCS#11 support is not installed: pip install 'mediation-svc[hsm]'") from exc
    module = pki.seal_pkcs11_module
    if module is None or not os.path.exists(module):
        raise SealUnavailable(f"PKCS#11 module not found: {module} (MEDIATION_SEAL_PKCS11_MODULE)")
    if not pki.seal_pkcs11_token_label:
        raise SealUnavailable("MEDIATION_SEAL_PKCS11_TOKEN_LABEL is not set")
    pin = pki.seal_pin()
    if not pin:
        raise SealUnavailable("no PIN for the seal token: set MEDIATION_SEAL_PKCS11_PIN or _PIN_FILE")
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import find_token

    try:
        lib = pkcs11.lib(str(module))
        token = find_token(lib.get_slots(), token_criteria=TokenCriteria(label=pki.seal_pkcs11_token_label))
        if token is None:
            raise SealUnavailable(f"no PKCS#11 token labelled '{pki.seal_pkcs11_token_label}' in {module}")
        try:
            return token.open(user_pin=pin, rw=rw)
        except p11.UserAlreadyLoggedIn:
            # PKCS#11 login is per application, not per session: another session of ours is logged in
            return token.open(rw=rw)
    except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange) as exc:
        raise SealUnavailable(f"the PIN for token '{pki.seal_pkcs11_token_label}' was refused") from exc
    except p11.PinLocked as exc:
        raise SealUnavailable(f"token '{pki.seal_pkcs11_token_label}' is locked (too many wrong PINs)") \
            from exc
    except p11.PKCS11Error as exc:
        raise SealUnavailable(f"PKCS#11 error opening token '{pki.seal_pkcs11_token_label}': "
                              f"{type(exc).__name__} {exc}") from exc


def generate_seal_in_hsm(keystore, settings=None, *, now: dt.datetime | None = None,
                         urls: hierarchy.PkiUrls | None = None) -> x509.Certificate:
    """Generate the seal key pair inside the token (P-256, sensitive, never extractable), certify it with
    the issuing CA, store the certificate in the token and as ``seal-hsm.crt.pem``; returns it."""
    from pkcs11 import Attribute, CertificateType, KeyType, MechanismFlag, ObjectClass
    from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

    pki = _pki(settings)
    label = pki.seal_pkcs11_key_label
    now = now or dt.datetime.now(dt.timezone.utc)
    issuing_cert = keystore.certificate(hierarchy.ISSUING)
    issuing_key = keystore.private_key(hierarchy.ISSUING)
    with open_token(pki, rw=True) as session:
        query = {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: label}
        if list(session.get_objects(query)):
            raise SealUnavailable(f"token '{pki.seal_pkcs11_token_label}' already holds a key labelled "
                                  f"'{label}'; choose another MEDIATION_SEAL_PKCS11_KEY_LABEL to roll the seal "
                                  "over")
        key_id = os.urandom(16)
        params = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True)
        public, _private = params.generate_keypair(
            store=True, label=label, id=key_id, capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY,
            private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False,
                              Attribute.PRIVATE: True})
        public_key = load_der_public_key(encode_ec_public_key(public))
        cert = hierarchy.make_seal(public_key, issuing_cert, issuing_key, urls or hierarchy._urls(), now)
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: key_id,
            Attribute.SUBJECT: cert.subject.public_bytes(), Attribute.VALUE: cert.public_bytes(Encoding.DER)})
    keystore.save_certificate(hierarchy.SEAL_HSM, cert)
    close_hsm_sessions()  # sessions opened before this key existed may have cached "not found"
    return cert
