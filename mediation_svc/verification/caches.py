"""Work shared by the validations of one file: what pyHanko's AdES engine (ETSI EN 319 102-1) would otherwise
redo for every signature, done once per file and reused wherever its inputs are the same.

pyHanko builds new validation contexts for each signature, each signature timestamp and each past
validation, so the same issuing CA, TSA and root were checked against the same CRLs once per signature
(the DSS holds two CRLs per signature: the work grew with the square of the signatures). Inside
``per_file()`` three results are kept for the file, each keyed by *everything* its outcome depends on:

- a certificate's revocation check (``_check_revocation``: RFC 5280 §6.3 CRL processing): the certificate,
  the path up to its issuer, its place in the path, the validation moment and tolerance, the revocation
  policy, every CRL and OCSP answer available with its proof-of-existence time, the registry
  certificates that can issue those CRLs, the trust anchors;
- a signature value's cryptographic check (CRLs, certificates, OCSP answers): signature, data, key, algorithm;
- the document-timestamp chain (pyHanko's prima facie POE of the archive timestamps): the timestamps, the
  local knowledge (DSS), the policies and the validation time.

Nothing is skipped: a result is reused only where the check would see exactly the same inputs, and a failure
is reused as the same failure. Outside ``per_file()`` (signing, archive renewal) nothing is cached.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from copy import copy
from dataclasses import dataclass, field

from pyhanko.sign.validation import ades
from pyhanko_certvalidator import validate as _validate
from pyhanko_certvalidator.sig_validate import (
    DEFAULT_VALIDATION_CONTEXT,
    DefaultSignatureValidator,
    SignatureValidator,
)

from .moment import current_moment


@dataclass
class FileCaches:
    """One file's shared results; ``runs`` counts the checks actually run, ``reused`` those answered here."""

    revocation: dict = field(default_factory=dict)
    signatures: dict = field(default_factory=dict)
    poe_chains: dict = field(default_factory=dict)
    runs: Counter = field(default_factory=Counter)
    reused: Counter = field(default_factory=Counter)
    keep: list = field(default_factory=list)  # objects whose id() is part of a key stay alive
    derived: dict = field(default_factory=dict)  # id(object) -> (object, its digest or name key)

    def digest(self, value) -> bytes:
        """SHA-256 of an ASN.1 value's DER, once per object (``dump`` walks the whole structure)."""
        return self._derive(value, "digest", lambda: _sha(value.dump()))

    def name_key(self, value, attribute: str) -> str:
        """``value.<attribute>.hashable`` (pyHanko's and asn1crypto's key for a name), once per object."""
        return self._derive(value, attribute, lambda: getattr(value, attribute).hashable)

    def _derive(self, value, kind: str, compute):
        found = self.derived.get((id(value), kind))
        if found is None or found[0] is not value:
            found = self.derived[(id(value), kind)] = (value, compute())
        return found[1]


_ACTIVE: ContextVar[FileCaches | None] = ContextVar("verification_file_caches", default=None)


@contextlib.contextmanager
def per_file(caches: FileCaches | None = None) -> Iterator[FileCaches]:
    """Share results between the validations of one file (see the module text); ``caches``: go on with
    those of an earlier block on the same file."""
    caches = caches if caches is not None else FileCaches()
    token = _ACTIVE.set(caches)
    try:
        yield caches
    finally:
        _ACTIVE.reset(token)


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# ---- signature values -----------------------------------------------------------------------------------

class CachingSignatureValidator(SignatureValidator):
    """pyHanko's default signature check, answered once per (signature, data, key, algorithm) inside
    ``per_file()``; a plain default check elsewhere."""

    _default = DefaultSignatureValidator()

    def validate_signature(self, signature, signed_data, public_key_info, signature_algorithm,
                           context=DEFAULT_VALIDATION_CONTEXT):
        caches = _ACTIVE.get()
        if caches is None:
            return self._default.validate_signature(signature, signed_data, public_key_info,
                                                    signature_algorithm, context)
        key = (_sha(signature), _sha(signed_data), caches.digest(public_key_info),
               caches.digest(signature_algorithm), repr(context))
        return _answer(caches, "signature", caches.signatures, key, lambda: self._default.validate_signature(
            signature, signed_data, public_key_info, signature_algorithm, context))


SIGNATURE_VALIDATOR = CachingSignatureValidator()


def _known(caches: FileCaches, kind: str, store: dict, key) -> tuple | None:
    """(the stored answer,) for a known key (a stored failure is raised again); None: it must run."""
    if key not in store:
        caches.runs[kind] += 1
        return None
    caches.reused[kind] += 1
    return (_settle(store, key, store[key]),)


def _settle(store: dict, key, outcome: tuple[str, object]):
    store[key] = outcome
    how, value = outcome
    if how == "raised":
        if not isinstance(value, BaseException):
            raise TypeError(f"a stored failure is an exception, not a {type(value).__name__}")
        raise value
    return value


def _answer(caches: FileCaches, kind: str, store: dict, key, compute):
    known = _known(caches, kind, store, key)
    if known is not None:
        return known[0]
    try:
        outcome = ("returned", compute())
    except Exception as exc:  # noqa: BLE001 - the same failure is the answer next time
        outcome = ("raised", exc)
    return _settle(store, key, outcome)


async def _answer_async(caches: FileCaches, kind: str, store: dict, key, compute):
    known = _known(caches, kind, store, key)
    if known is not None:
        return known[0]
    try:
        outcome = ("returned", await compute())
    except Exception as exc:  # noqa: BLE001 - the same failure is the answer next time
        outcome = ("raised", exc)
    return _settle(store, key, outcome)


# ---- revocation checks ----------------------------------------------------------------------------------

def _poe_times(poe_manager, items, moment) -> tuple:
    """Each item's proof-of-existence time as pyHanko's ``poe[x]`` reads it, without registering it: an
    item without one gets the current time (the override, or the validation moment's clock)."""
    known = poe_manager._poes
    unknown = poe_manager._current_dt_override or moment.astimezone(dt.timezone.utc)
    return tuple((digest, known[digest].poe_time if digest in known else unknown) for digest in items)


def _policy_key(policy) -> tuple:
    """A policy object by its type and settings (pyHanko makes a new algorithm policy per context)."""
    def canonical(value):
        if isinstance(value, (set, frozenset)):
            return tuple(sorted(repr(v) for v in value))
        return repr(value)

    settings = vars(policy) if hasattr(policy, "__dict__") else {}
    return type(policy).__qualname__, tuple((k, canonical(v)) for k, v in sorted(settings.items()))


def _path_up_to(path, cert) -> tuple[bytes, ...]:
    certs = [c.sha256 for c in path.iter_certs(include_root=True)]
    return tuple(certs[:certs.index(cert.sha256) + 1]) if cert.sha256 in certs else tuple(certs)


def _revocation_key(caches: FileCaches, cert, context, path, proc_state):
    """Everything ``_check_revocation`` reads (see the module text), or None when the moment is the wall
    clock (outside ``moment.validating_at``: no reuse)."""
    moment = current_moment()
    trust_manager = context.path_builder.trust_manager
    if moment is None or not hasattr(trust_manager, "iter_certs"):  # no anchors to name: no reuse
        return None
    manager = context.revinfo_manager
    poe_manager = manager.poe_manager
    crls = manager.currently_available_crls()
    ocsps = list(manager._ocsps)
    crl_digests = [caches.digest(c.crl_data) for c in crls]
    ocsp_digests = [caches.digest(o.ocsp_response_data) for o in ocsps]
    registry = context.certificate_registry
    if ocsps:  # responders may be any registry certificate, and the whole path matters
        candidates = sorted(caches.digest(c) for c in registry)
        path_part = tuple(c.sha256 for c in path.iter_certs(include_root=True))
    else:  # what pyHanko's CRL issuer search can find: registry certificates named as a CRL's issuer
        issuers = {caches.name_key(c.crl_data, "issuer") for c in crls}
        candidates = sorted(caches.digest(c) for c in registry if caches.name_key(c, "subject") in issuers)
        path_part = _path_up_to(path, cert)
    stack = tuple(ee.sha256 for ee in (p.get_ee_cert_safe() for p in proc_state.cert_path_stack)
                  if ee is not None and caches.digest(ee) in candidates)
    roots = tuple(sorted(c.sha256 for c in trust_manager.iter_certs()))
    return (cert.sha256, path_part, proc_state.index, proc_state.path_len, proc_state.ee_name_override,
            proc_state.is_side_validation, stack, context.timing_params, repr(context.revinfo_policy),
            context.retroactive_revinfo, context.fetching_allowed, _policy_key(context.algorithm_policy),
            type(context.sig_validator).__name__, roots, tuple(candidates),
            _poe_times(poe_manager, crl_digests, moment), _poe_times(poe_manager, ocsp_digests, moment),
            poe_manager._current_dt_override, moment)


def _register_as_checked(cert, context) -> None:
    """What a run of the check leaves in the POE manager (each CRL, and each OCSP answer for a certificate
    that names an OCSP responder, gets a POE at the current time if it has none)."""
    manager = context.revinfo_manager
    for crl in manager.currently_available_crls():
        manager.poe_manager[crl]
    if cert.ocsp_urls:
        for response in manager._ocsps:
            manager.poe_manager[response]


_original_check_revocation = _validate._check_revocation


async def _check_revocation(cert, validation_context, path, proc_state):
    caches = _ACTIVE.get()
    key = _revocation_key(caches, cert, validation_context, path, proc_state) if caches is not None else None
    if key is None:
        return await _original_check_revocation(cert, validation_context, path, proc_state)
    if key in caches.revocation:
        _register_as_checked(cert, validation_context)
    return await _answer_async(caches, "revocation", caches.revocation, key,
                               lambda: _original_check_revocation(cert, validation_context, path, proc_state))


# ---- the document-timestamp chain (prima facie POE) -------------------------------------------------------

def _knowledge_key(caches: FileCaches, knowledge) -> tuple:
    return (tuple(caches.digest(c) for c in knowledge.known_certs),
            tuple(caches.digest(c.crl_data) for c in knowledge.known_crls),
            tuple(caches.digest(o.ocsp_response_data) for o in knowledge.known_ocsps),
            repr(knowledge.known_poes), repr(knowledge.nonrevoked_assertions))


def _spec_key(spec, caches: FileCaches) -> tuple:
    """The spec's policies by identity (ours are made once per file), except the two parts pyHanko makes
    anew for each signature: the local knowledge (keyed by content) and the fetcher backend of the
    gathering policy (keyed by its fetching rule; offline, no backend is ever used)."""
    caches.keep.append(spec)
    parts: list[tuple[str, str | int]] = []
    for item in dataclasses.fields(spec):
        value = getattr(spec, item.name)
        if item.name == "local_knowledge":
            continue
        if item.name == "revinfo_gathering_policy":
            parts.append((item.name, repr(dataclasses.replace(value, fetcher_backend=None))))
        else:
            parts.append((item.name, id(value)))
    return tuple(parts)


_original_prima_facie = ades._validate_prima_facie_poe


async def _validate_prima_facie_poe(prima_facie_poe_sets, validation_spec, cur_timing_info=None):
    caches = _ACTIVE.get()
    moment = current_moment()
    if caches is None or moment is None or cur_timing_info is None:
        return await _original_prima_facie(prima_facie_poe_sets, validation_spec=validation_spec,
                                           cur_timing_info=cur_timing_info)
    stamps = tuple((p.pdf_revision, p.doc_digest, _sha(p.timestamp_token_signed_data.dump()))
                   for p in prima_facie_poe_sets)
    key = (stamps, _knowledge_key(caches, validation_spec.local_knowledge), _spec_key(validation_spec, caches),
           cur_timing_info, moment)
    manager = await _answer_async(caches, "poe_chain", caches.poe_chains, key, lambda: _original_prima_facie(
        prima_facie_poe_sets, validation_spec=validation_spec, cur_timing_info=cur_timing_info))
    return copy(manager)  # the caller registers the signature's own POE in it


_validate._check_revocation = _check_revocation
ades._validate_prima_facie_poe = _validate_prima_facie_poe
