"""Signing pages: the progress of a case's signing request, and (for parties) the remote signing flow.

The signing rules (OTP, consent, drawn signature, the PAdES signature itself) live in
``mediation_svc.signing.service``; these pages only call it.
"""

from __future__ import annotations

import importlib


def _signing_service():
    try:
        return importlib.import_module("mediation_svc.signing.service")
    except ModuleNotFoundError as exc:
        if exc.name != "mediation_svc.signing.service":
            raise
        return None


def progress(session, case, user, language: str):
    """The signers of the case's current signing request and where each stands; None before signing exists."""
    return None if _signing_service() is None else []


def signed_pdf_url(session, document) -> str | None:
    return None
