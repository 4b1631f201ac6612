"""Signing requests (电子签署): who signs what, in which order, how they prove who they are, and the PDF.

Life of a request::

    open_request                  awaiting_authorisation (a representative's 授权委托书 to check) or open
    upload_authorisation / approve_authorisation        -> open, stage 1 (the parties) gets its links
    the SMS carries a short link (/s/<12 characters>, 60 bits, stored hashed), valid until the deadline
    request_code -> verify_identity (link + SMS code + last 4 of the ID)   -> a signer-session token
                   (again from any browser: the new session continues where the signer stopped)
    the mediator: console_code -> console_verify (logged in + SMS code)   -> a signer-session token
    signer_document / accept_consent / save_drawing
    prepare_browser_key (public key + proof) -> finish_browser_key (the browser's signature over the CMS
    signed attributes)                                                    -> one PAdES B-T signature
    (on site, a tablet without WebCrypto: confirm with a one-time key made by the center, said so)
    (all parties signed) -> stage 2, the mediator's link; (mediator signed) -> stage 3
    apply_seal (an officer)       the center's seal, then B-LTA (DSS + document timestamp): completed
    decline (a signer) / void (an officer) / expire_due (the job, and before a new request on the document) /
    supersede_document -> close_for_document (the document was superseded) / remind (officer or mediator): the signers are told by SMS
    (the seal) -> every signer gets an SMS that it took effect, with a short link to download the final PDF

On-site signing (``start_onsite``): the mediator's tablet gets a link for a signer who is present; the
code still goes to the signer's own phone and the last four characters of the ID are typed after the
mediator has looked at the ID card, so the mediator cannot sign for anyone. The evidence names the host.
An institution with its own certificate (``SigningMode.EXTERNAL``) proves identity the same way, then
``prepare_external`` hands out the ByteRange digest and ``finish_external`` takes the CMS back.

Signing serialises per request: every step that changes the PDF first locks the request row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers), then
reads the latest revision, so two parties confirming at once both end up in the file.

For other domains:
- ``signed_pdf(session, document_id=)``: the newest revision of a *completed* request (B-LTA, or a later
  archive timestamp); None until the request completes. Partial signatures stay evidence only.
- ``signing_events(session, document_id=)``: every signed revision with its evidence record (and its request's
  status), oldest first.
- ``open_request(...)``: also for a judicial application document (kind ``judicial_application``); the
  document goes final -> signing -> signed either way, only an agreement moves the case (signing -> signed).
- The signer page flow (web): ``open_link`` / ``signer_home`` / ``signer_view`` and the functions listed
  above taking ``link_code`` / ``session_token``; ``signer_state`` names the page's state (SIGNER_STATES).

Services flush, never commit; every state change is audited in the same transaction.

Where each part lives (this module is the domain's public face: callers import ``signing.service``)::

    policy.py      the rules on plain values: stages and whose turn, who may act, signer page states, consent words
    store.py       loading requests, signers and revisions; storing a signed revision; audit helpers
    queries.py     read-only look-ups for the case page: a case's requests, documents out for signing, a trail
    requests.py    opening a request, letters of authority, declined / voided / expired / superseded ends
    messages.py    links and SMS, opening the next stage, reminders, the announcement that it took effect
    signers.py     link, code and ID check, the signer's session and pages, consent, drawing, on site, declining
    signatures.py  the PAdES signatures (center-made, browser-held and institution keys), the seal, the B-LTA close
                   and its consequences (document_signed: the document, and for an agreement the case)
"""

# ruff: noqa: F401 - the names below are this module's public face (re-exported)
from __future__ import annotations

from .messages import (CLOSED_SMS, activate_next_stage, announce_effect, check_may_remind, due_for_reminder,
                       fit_sms, issue_link, link_secret, link_url, new_link, remind, resend_link, resend_own_link,
                       sms_text)
from .policy import (ACTIVE, CONSENT_TEXT, CONSENT_TEXTS, CodeLocked, DocumentChanged, KEY_CENTER_SERVER,
                     KEY_INSTITUTION, KEY_SIGNER_DEVICE, LINK_LOOKUP_LIMIT, LINK_LOOKUP_WINDOW, LinkUnknown,
                     NotYourTurn, READ_SENTENCES, REMINDER_GAP, ROLE_LABELS, SESSION_LIFETIME,
                     SESSION_PURPOSE, SIGNABLE_KINDS, SIGNER_STATES, SMS_LIMIT, SignerStateError,
                     SigningRequestExpired, agreed_amount, allowed_key_origins, check_open, chinese_deadline,
                     consent_texts, may_host_onsite, may_manage_request, may_open_request, next_stage,
                     require_state, signer_state, stage_done)
from .requests import (approve_authorisation, close_for_document, close_request, expire_due, open_request,
                       supersede_document, upload_authorisation, void)
from .signatures import (apply_seal, close_to_lta, confirm, document_signed, finish_browser_key,
                         finish_external, possession_challenge, prepare_browser_key, prepare_external,
                         signer_challenge)
from .signers import (accept_consent, claims_doc, console_code, console_verify, decline, find_link,
                      lookup_link, open_link, page_facts, request_code, save_drawing, signer_document,
                      signer_home, signer_session, signer_view, start_onsite, verify_identity)
from .queries import (documents_in_signing, find_request, has_completed_signature, request_trail,
                      requests_of_case)
from .store import (Client, RepresentativeSpec, audit_request, current_pdf, document_of, get_participant_or_404,
                    get_visible_request_or_404, latest_revision, lock_request, participants_of, signed_pdf,
                    signer_actor, signing_events, store_revision, user_actor)
# the records it works on, as callers have always named them through this module
from .models import (STAGE_MEDIATOR, STAGE_PARTIES, STAGE_SEAL, RequestStatus, SignedRevision, SignerKind, SignerStatus,
                     SigningLink, SigningMode, SigningParticipant, SigningRequest)
