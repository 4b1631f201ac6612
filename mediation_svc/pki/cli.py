"""``mediation-svc keys generate-seal-in-hsm`` (the seal key made inside the HSM, certified by our issuing
CA) and ``keys renew-tsa``."""

from __future__ import annotations

import typer

from ..config import get_settings


def generate_seal_in_hsm() -> None:
    """Generate the center's seal key inside the PKCS#11 token (non-extractable) and certify it.

    Uses MEDIATION_SEAL_PKCS11_MODULE, _TOKEN_LABEL, _PIN (or _PIN_FILE) and _KEY_LABEL. The certificate goes
    into the token and to keys/seal-hsm.crt.pem; from then on every seal is made by the HSM."""
    from ..audit.chain import record
    from ..db import make_engine, unit_of_work
    from . import hierarchy, service
    from .keystore import KeyStore
    from .seal import SealUnavailable, generate_seal_in_hsm as generate
    from .settings import PkiSettings

    settings, pki = get_settings(), PkiSettings()
    if not pki.seal_in_hsm:
        typer.echo("set MEDIATION_SEAL_PKCS11_MODULE (and _TOKEN_LABEL, _PIN or _PIN_FILE) first", err=True)
        raise typer.Exit(2)
    try:
        cert = generate(KeyStore.from_settings(settings), pki)
    except SealUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    serial = service.serial_hex(cert.serial_number)
    try:
        with unit_of_work(make_engine(settings)) as session:
            service.record_certificate(session, cert, issuer=hierarchy.ISSUING, purpose="seal")
            record(session, actor="cli", action="pki.seal_key_generated_in_hsm",
                   subject=f"certificate:{serial}", payload={"serial": serial, "token": pki.seal_pkcs11_token_label,
                            "key_label": pki.seal_pkcs11_key_label, "subject": cert.subject.rfc4514_string()})
    except Exception as exc:  # noqa: BLE001 - the key exists now; say what is missing instead of failing
        typer.echo(f"warning: certificate not recorded in the database ({type(exc).__name__}); run "
                   "`mediation-svc db upgrade` and revoke/list it through the API later", err=True)
    typer.echo(f"seal key generated in token '{pki.seal_pkcs11_token_label}' as "
               f"'{pki.seal_pkcs11_key_label}'; certificate serial {serial}, valid until {cert.not_valid_after_utc:%Y-%m-%d}")


def renew_tsa() -> None:
    """Replace the time-stamping key and certificate (before the current certificate nears its end).

    Keep the old certificate (tsa-retired-<serial>.crt.pem); restart the service to use the new key, then run
    `mediation-svc archive retimestamp` so archived agreements get timestamps under the new certificate."""
    from . import hierarchy
    from .keystore import KeyStore

    keystore = KeyStore.from_settings(get_settings())
    old = keystore.certificate(hierarchy.TSA)
    cert = hierarchy.renew_tsa(keystore)
    typer.echo(f"TSA certificate renewed: serial {cert.serial_number:x}, valid until "
               f"{cert.not_valid_after_utc:%Y-%m-%d} (previous {old.serial_number:x} kept as retired)")


def revoke(serial: str = typer.Argument(..., help="the certificate's serial number, hexadecimal"),
           reason: str = typer.Option(..., help="RFC 5280 reason: key_compromise, ca_compromise, superseded, "
                                                "cessation_of_operation, affiliation_changed, ..."),
           note: str = typer.Option(..., help="why, in a sentence; kept in the audit log"),
           yes: bool = typer.Option(False, "--yes", help="confirm: a revocation cannot be undone")) -> None:
    """Revoke any certificate the center issued, its own CA, TSA, OCSP and seal certificates included.

    This cannot be undone: the next CRL and every OCSP answer report it, and signatures that rely on the
    certificate stop validating. Audited as `pki.certificate_revoked` with actor `cli:<login>`."""
    import getpass

    from ..db import make_engine, unit_of_work
    from ..errors import DomainError
    from . import service
    from .keystore import KeyStore

    if not yes:
        typer.echo("a revocation cannot be undone; run again with --yes to confirm", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    try:
        with unit_of_work(make_engine(settings)) as session:
            row = service.revoke(session, KeyStore.from_settings(settings), serial=serial, reason=reason,
                                 note=note, actor=f"cli:{getpass.getuser()}")
            typer.echo(f"revoked {row.serial_hex} ({row.purpose}, {row.subject}) for {reason}")
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
