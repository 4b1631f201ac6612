"""``Idempotency-Key`` for creating calls (draft-ietf-httpapi-idempotency-key-header): a client that lost the
answer to ``POST /api/v1/cases`` sends the same request with the same key and gets the same answer, not a
second case.

The key is claimed (a row keyed by caller and key) in the request's own transaction, before anything else is
locked, and the answer is stored in that transaction: the case and the remembered answer commit together or
not at all. A second request with the same key waits on the first one's row until it commits, then replays
its answer; if the first failed, nothing was remembered and the second runs. The same key with another
request body is refused (422 ``idempotency-key-reused``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import rfc8785
from fastapi import Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, Session, SQLModel, col, select

from .db import UTCDateTime, utcnow
from .deps import SessionDep
from .errors import DomainError, InvalidInput

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


class IdempotencyKeyReused(DomainError):
    status, slug, title = 422, "idempotency-key-reused", "This Idempotency-Key was used for another request"


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_keys"

    owner: str = Field(primary_key=True, max_length=120)  # who sent it: the same key of two users never meets
    key: str = Field(primary_key=True, max_length=MAX_KEY_LENGTH)
    request: str = Field(max_length=300)  # method and path
    fingerprint: str = Field(max_length=64)  # SHA-256 of the canonical request body
    status_code: int | None = None
    response_json: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Idempotency:
    """The request's key (if any) and what to do with it; routes call ``run`` around their service call."""

    def __init__(self, request: Request, session: Session) -> None:
        self.request, self.session = request, session
        self.key = request.headers.get(HEADER)

    def run(self, produce: Callable[[], Any], *, owner: str, body: Any, status_code: int) -> Any:
        if self.key is None:
            return produce()
        if not 0 < len(self.key) <= MAX_KEY_LENGTH or not self.key.isprintable():
            raise InvalidInput(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters")
        what = f"{self.request.method} {self.request.url.path}"[:300]
        fingerprint = hashlib.sha256(rfc8785.dumps(jsonable_encoder(body))).hexdigest()
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        claimed = self.session.execute(
            insert(IdempotencyRecord).values(owner=owner, key=self.key, request=what, fingerprint=fingerprint,
                                             created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["owner", "key"]).returning(col(IdempotencyRecord.key))
        ).scalar_one_or_none()
        if claimed is None:
            return self._replay(owner, what, fingerprint)
        result = produce()
        self.session.execute(update(IdempotencyRecord)
                             .where(col(IdempotencyRecord.owner) == owner, col(IdempotencyRecord.key) == self.key)
                             .values(status_code=status_code,
                                     response_json=json.dumps(jsonable_encoder(result), ensure_ascii=False)))
        return result

    def _replay(self, owner: str, what: str, fingerprint: str) -> JSONResponse:
        row = self.session.exec(select(IdempotencyRecord).where(col(IdempotencyRecord.owner) == owner,
                                                                col(IdempotencyRecord.key) == self.key)).one()
        if (row.request, row.fingerprint) != (what, fingerprint) or row.status_code is None:
            raise IdempotencyKeyReused(f"the key was first used for {row.request} with another body; "
                                       "use a new key for a new request")
        if row.response_json is None:  # written together with status_code, in the same UPDATE
            raise RuntimeError(f"idempotency record {owner}/{self.key} has a status but no response")
        return JSONResponse(json.loads(row.response_json), status_code=row.status_code,
                            headers={"Idempotent-Replayed": "true"})


def get_idempotency(request: Request, session: SessionDep) -> Idempotency:
    return Idempotency(request, session)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
