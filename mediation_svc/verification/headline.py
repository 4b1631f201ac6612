"""The court's headline on a verification report: one word read from its ETSI EN 319 102-1 indications, for the
page, the report PDF and the API alike (a presenter's words come from it, not the other way round)."""

from __future__ import annotations

CHANGED = {"HASH_FAILURE", "FORMAT_FAILURE"}


def _get(item, name, default=None):
    return item.get(name, default) if isinstance(item, dict) else getattr(item, name, default)


def verdict_of(indication: str, sub_indication: str | None, signatures) -> str:
    """The court's headline, read from the verification report's indication and sub-indications (ETSI EN
    319 102-1): ``authentic`` (signed by this center's certificates, unchanged since), ``changed`` (altered
    after signing), ``unsigned`` (no signature at all), ``foreign`` (signed, but not under this center's
    root), else ``indeterminate`` or ``failed`` (revoked, expired...: the reasons say which)."""
    indication = str(getattr(indication, "value", indication))
    signed = [s for s in signatures if _get(s, "kind", "signature") == "signature"]
    subs = {sub_indication} | {_get(s, "sub_indication") for s in signatures}
    if not signed or "NO_SIGNATURE_FOUND" in subs:
        return "unsigned"
    if indication == "TOTAL_PASSED":
        return "authentic"
    modified = [_get(s, "modifications") for s in signatures]
    if subs & CHANGED or any(_get(s, "integrity", True) is False for s in signatures) \
            or any(m is not None and _get(m, "permitted", True) is False for m in modified):
        return "changed"
    if "NO_CERTIFICATE_CHAIN_FOUND" in subs:
        return "foreign"
    return "indeterminate" if indication == "INDETERMINATE" else "failed"
