"""Private keys at rest: PEM files in ``keys/``, each encrypted with the deployment passphrase.

Certificates sit beside their keys as plain PEM. Nothing here ever writes an unencrypted private key.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from ..config import Settings

TOKEN_SIGNING_KEY = "token-signing"
# Sign what courts keep for years, each kind with its own key (verification.attestation): separate from
# the short-lived session key and from each other, so any one can be rotated alone and a JWS of one kind
# never verifies with the key published for the other.
REPORT_SIGNING_KEY = "report-signing"
MANIFEST_SIGNING_KEY = "manifest-signing"
AUDIT_SIGNING_KEY = "audit-signing"  # the audit log's signed tree heads


class KeyStoreError(RuntimeError):
    pass


class KeyStore:
    def __init__(self, directory: Path, passphrase: bytes) -> None:
        self.directory = Path(directory)
        self._passphrase = passphrase
        self._cache: dict[str, PrivateKeyTypes] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> "KeyStore":
        return cls(settings.key_dir, settings.passphrase())

    def key_path(self, name: str) -> Path:
        return self.directory / f"{name}.key.pem"

    def cert_path(self, name: str) -> Path:
        return self.directory / f"{name}.crt.pem"

    def has_key(self, name: str) -> bool:
        return self.key_path(name).exists()

    def _write_temporary(self, name: str, key: PrivateKeyTypes) -> Path:
        """The key, encrypted, in a file of its own beside where it belongs (owner-only), not yet in place."""
        self.directory.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase),
        )
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.directory)  # mode 0600
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        return Path(tmp)

    def save_private_key(self, name: str, key: PrivateKeyTypes) -> Path:
        """Put ``key`` in place as ``name``, replacing the one there (a renewal): readers see the old file or
        the new one, never part of either."""
        path = self.key_path(name)
        os.replace(self._write_temporary(name, key), path)
        self._cache[name] = key
        return path

    def _create_once(self, name: str, make: Callable[[], PrivateKeyTypes]) -> PrivateKeyTypes:
        """The key ``name``, made with ``make`` when missing. Workers that find it missing at the same moment
        all end up with the one that reached the disk first (a hard link never replaces a file): none signs
        with a key that another has overwritten."""
        if self.has_key(name):
            return self.private_key(name)
        tmp = self._write_temporary(name, make())
        try:
            os.link(tmp, self.key_path(name))
        except FileExistsError:
            pass  # another worker was first: its key is the key
        finally:
            tmp.unlink()
        self._cache.pop(name, None)
        return self.private_key(name)

    def private_key(self, name: str) -> PrivateKeyTypes:
        if name not in self._cache:
            path = self.key_path(name)
            if not path.exists():
                raise KeyStoreError(f"key '{name}' not found in {self.directory}; run: mediation-svc keys init")
            try:
                self._cache[name] = serialization.load_pem_private_key(path.read_bytes(), self._passphrase)
            except (ValueError, TypeError) as exc:
                raise KeyStoreError(f"key '{name}' cannot be decrypted: wrong MEDIATION_KEY_PASSPHRASE?") from exc
        return self._cache[name]

    def save_certificate(self, name: str, cert: x509.Certificate) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.cert_path(name)
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return path

    def certificate(self, name: str) -> x509.Certificate:
        path = self.cert_path(name)
        if not path.exists():
            raise KeyStoreError(f"certificate '{name}' not found in {self.directory}; run: mediation-svc keys init")
        return x509.load_pem_x509_certificate(path.read_bytes())

    def ensure_ec_key(self, name: str) -> PrivateKeyTypes:
        """The P-256 key ``name``, made once when missing (``_create_once``)."""
        return self._create_once(name, lambda: ec.generate_private_key(ec.SECP256R1()))

    def ensure_rsa_key(self, name: str, bits: int = 3072) -> PrivateKeyTypes:
        """The RSA key ``name`` (``bits`` when it is made), made once when missing (``_create_once``)."""
        return self._create_once(name, lambda: rsa.generate_private_key(public_exponent=65537, key_size=bits))

def init_keys(keystore: KeyStore, *, urls=None) -> list[str]:
    """Create every key the service needs that does not exist yet; returns the names created.

    ``urls`` (a ``hierarchy.PkiUrls``) overrides where the certificates point relying parties; by default
    ``MEDIATION_PUBLIC_BASE_URL``."""
    created: list[str] = []
    if not keystore.has_key(TOKEN_SIGNING_KEY):
        keystore.ensure_ec_key(TOKEN_SIGNING_KEY)
        created.append(TOKEN_SIGNING_KEY)
    for name in (REPORT_SIGNING_KEY, MANIFEST_SIGNING_KEY, AUDIT_SIGNING_KEY):
        if not keystore.has_key(name):
            keystore.ensure_ec_key(name)
            created.append(name)
    from . import hierarchy  # the CA hierarchy: root, issuing CA, TSA, seal
    from .settings import get_pki_settings

    # With the seal in an HSM no seal key file is made: `keys generate-seal-in-hsm` makes it in the token.
    created.extend(hierarchy.ensure_hierarchy(keystore, file_seal=not get_pki_settings().seal_in_hsm,
                                               urls=urls))
    return created
