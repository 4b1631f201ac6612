"""Personal information in answers to people without a login (PIPL, 个人信息保护法): masked by default.

Holding a printed page (its verification code) proves one holds that page, not who one is. The look-up by
code therefore shows what a verifier needs (the document, its hashes, its status and the verdict) with the
signers' names masked; the names in full, and the registered original (full ID number, address, bank
account), are for the people who may read the agreement anyway (``security.access``: the parties'
accounts, the center's staff, a court it is shared with).
"""

from __future__ import annotations

from typing import Any


def mask_phone(phone: str | None) -> str | None:
    """A phone for display and for the audit's actor: a ``+86`` prefix dropped, then what precedes the last
    eight characters, ``****``, the last four (+8613812345678 -> 138****5678, +85291234567 -> +852****4567);
    ``****`` when eight characters or fewer remain. The one mask for every phone the service shows."""
    if not phone:
        return phone
    digits = phone.strip()
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits[:-8] + "****" + digits[-4:] if len(digits) > 8 else "****"


def mask_id_number(value: str | None) -> str | None:
    """The one ID mask, wherever an ID number is shown (API, pages, PDFs, certificates, the verification report):
    the first six characters (the region of issue) and the rest hidden, 440106195803121235 -> 440106************.

    The last four characters are what a signer types to prove who they are, so no mask may show them. Masking a
    masked value changes nothing, and an older mask that kept the last four (440***********1356) loses them."""
    if not value:
        return value
    if len(value) <= 8:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 6)


def mask_name(name: str | None) -> str | None:
    """陈秀兰 -> 陈**, 王晓明 -> 王**, Li Wen -> L*****; institutions' names are not personal and are not passed here."""
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def mask_code_lookup(answer: dict[str, Any]) -> dict[str, Any]:
    """The anonymous view of ``verification.service.lookup_code``'s answer: every signer's name masked."""
    masked = dict(answer)
    masked["signing_history"] = [{**event, "signer": mask_name(event.get("signer"))}
                                 for event in answer.get("signing_history", [])]
    verification = dict(answer.get("verification") or {})
    verification["signatures"] = [{**s, "signer": mask_name(s.get("signer"))}
                                  for s in verification.get("signatures", [])]
    masked["verification"] = verification
    masked["names_masked"] = True
    return masked
