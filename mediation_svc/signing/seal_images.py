"""An institution's own seal image (机构印章图像), filed with its representative's 授权委托书.

The center's staff file it while the request awaits authorisation, as they file the letter; it is bounded and
re-encoded (``uploads.reencode_seal_image``), and filing it withdraws an earlier approval, so the officer's
``approve_authorisation`` always covers the letter and the image together. Once approved it is drawn beside the
representative's signature in the institution's block (``appearance.signer_mark``). The image is a picture,
not a signature: what binds the institution is the representative's PAdES signature under the checked letter.
"""

from __future__ import annotations

import hashlib

from sqlmodel import Session

from ..audit.chain import actor_of, record
from ..errors import Conflict, Forbidden, InvalidInput
from ..security.roles import works_cases
from .models import RequestStatus, SignerKind, SigningParticipant, SigningRequest
from .uploads import reencode_seal_image


def check_may_file(*, request: SigningRequest, participant: SigningParticipant, actor, what: str) -> None:
    """A representative's papers (the letter, the seal image) are filed by staff, before the request opens."""
    if not works_cases(actor.role):
        raise Forbidden(f"{what} is filed by the center's staff")
    if participant.kind != SignerKind.REPRESENTATIVE.value:
        raise InvalidInput(f"only a representative of an institution signs with {what}")
    if request.status != RequestStatus.AWAITING_AUTHORISATION.value:
        raise Conflict(f"the request is '{request.status}'; {what} is filed before it opens")


def upload_institution_seal(session: Session, *, request: SigningRequest, participant: SigningParticipant,
                            image: bytes, actor) -> SigningParticipant:
    check_may_file(request=request, participant=participant, actor=actor, what="the institution's seal image")
    png = reencode_seal_image(image)
    participant.institution_seal_png = png
    participant.institution_seal_sha256 = hashlib.sha256(png).hexdigest()
    participant.authorisation_checked_by, participant.authorisation_checked_at = None, None
    session.add(participant)
    session.flush()
    record(session, actor=actor_of(actor), action="signing.institution_seal_uploaded",
           subject=f"signing_request:{request.id}", case_id=request.case_id,
           payload={"request_id": request.id, "participant_id": participant.id,
                    "sha256": participant.institution_seal_sha256, "size": len(image), "stored_size": len(png)})
    return participant


def checked_seal_image(participant: SigningParticipant) -> bytes | None:
    """The image to draw: only one an officer approved (the approval is withdrawn when a new one is filed)."""
    if participant.institution_seal_png and participant.authorisation_checked_at is not None:
        return participant.institution_seal_png
    return None
