"""PKI and signing settings (``MEDIATION_*``), kept beside the code that reads them."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class PkiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDIATION_", env_file=".env", extra="ignore")

    # An external RFC 3161 TSA; empty means the center's own TSA, in process.
    tsa_url: str | None = None
    tsa_timeout_seconds: float = 10.0
    tsa_username: str | None = None  # HTTP basic auth, when the TSA requires it
    tsa_password: str | None = None
    tsa_password_file: Path | None = None  # a secrets file; wins over tsa_password

    crl_validity_days: int = 7
    ocsp_validity_hours: int = 24
    signer_cert_minutes: int = 60
    # Re-timestamp archived agreements when the last timestamp certificate expires within this many days.
    retimestamp_margin_days: int = 365

    # The seal key in an HSM (PKCS#11) instead of the key directory: the module (e.g.
    # /usr/lib/softhsm/libsofthsm2.so), the token, the user PIN (a secrets file wins over the variable)
    # and the label of the key (and of its certificate) inside the token.
    seal_pkcs11_module: Path | None = None
    seal_pkcs11_token_label: str | None = None
    seal_pkcs11_pin: str | None = None
    seal_pkcs11_pin_file: Path | None = None
    seal_pkcs11_key_label: str = "seal"

    def tsa_secret(self) -> str | None:
        if self.tsa_password_file is not None:
            return self.tsa_password_file.read_text(encoding="utf-8").strip()
        return self.tsa_password

    @property
    def seal_in_hsm(self) -> bool:
        return self.seal_pkcs11_module is not None

    def seal_pin(self) -> str | None:
        if self.seal_pkcs11_pin_file is not None:
            return self.seal_pkcs11_pin_file.read_text(encoding="utf-8").strip()
        return self.seal_pkcs11_pin


@lru_cache
def get_pki_settings() -> PkiSettings:
    return PkiSettings()
