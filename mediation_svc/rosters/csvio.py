"""CSV import and export of the mediator and expert rosters (RFC 4180 through the ``csv`` module).

Centres keep rosters in spreadsheets, so the files are forgiving about form: UTF-8 with or without a BOM
(Excel) or GB18030 (older Chinese Excel), lists separated by ``;`` or ``；`` (lists of short words —
specialties, languages, cities — also by ``、``, as people write them), yes/no as
``是/否``, ``true/false``, ``1/0``. They are strict about content: every row is validated like an API
request and every bad row is reported with its line number; one bad row and nothing is imported (the
whole file is one transaction, rolled back by the caller when this module raises).

Structured cells: certifications ``name|number|expires_on``, affiliations
``credit_code|institution_name|relation|started_on|ended_on``, several separated by ``;``.

Cells of names (pools, qualifications, certifications, affiliations) are never split on ``、``: a name may
hold one (理财、存款纠纷调解员库, 某某银行股份有限公司信用卡、消费金融部), and the export, which joins with
``;``, must read back as it was written.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import TypeVar

from pydantic import ValidationError
from sqlmodel import Session, col, select

from ..accounts.models import User
from ..db import locked
from ..errors import DomainError, InvalidInput
from ..security.spreadsheet import SafeWriter, restore
from . import service
from .models import Expert, ExpertAffiliation, Mediator, Pool
from .schemas import ExpertIn, MediatorIn

MEDIATOR_COLUMNS = ["username", "name", "background", "years_of_practice", "specialties", "languages", "cities",
                    "remote_capable", "max_active_cases", "status", "certifications", "affiliations", "pools"]
EXPERT_COLUMNS = ["username", "name", "field", "title", "organisation", "qualifications", "cities",
                  "availability", "availability_note", "active", "affiliations"]
REQUIRED = {"mediators": ["username", "name", "background", "languages"],
            "experts": ["username", "name", "field"]}
MAX_ROWS = 20000
_LIST_SEP = re.compile(r"[;；]")
_WORD_SEP = re.compile(r"[;；、]")
_TRUE = {"1", "true", "yes", "y", "是", "可", "可以"}
_FALSE = {"0", "false", "no", "n", "否", "不", "不可"}


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (a BOM dropped), else GB18030; InvalidInput (422, line 0) when neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("the file is neither UTF-8 nor GB18030 text", errors=[{"line": 0, "msg": "encoding"}])


def split_list(cell: str | None) -> list[str]:
    """A list cell's stripped, non-empty items, separated by ``;`` or ``；`` (a name may hold a ``、``)."""
    return [p.strip() for p in _LIST_SEP.split(cell or "") if p.strip()]


def split_words(cell: str | None) -> list[str]:
    """A cell listing short words (codes, languages, cities): separated by ``;``, ``；`` or ``、``."""
    return [p.strip() for p in _WORD_SEP.split(cell or "") if p.strip()]


def parse_bool(cell: str | None, column: str) -> bool | None:
    """A yes/no cell (是/否, true/false, 1/0, any case) as a bool, None when empty; otherwise a ValueError
    naming ``column``, which the import reports as that row's error."""
    value = (cell or "").strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{column}: '{cell}' is not yes/no (是/否, true/false, 1/0)")


def _parts(entry: str, count: int) -> list[str | None]:
    parts = [p.strip() or None for p in entry.split("|")]
    if len(parts) > count:
        raise ValueError(f"'{entry}' has more than {count} '|'-separated parts")
    return parts + [None] * (count - len(parts))


def parse_certifications(cell: str | None) -> list[dict]:
    """``name|number|expires_on`` entries as dicts for CertificationIn (missing parts None, the schema checks
    them); ValueError for more than three parts."""
    result = []
    for entry in split_list(cell):
        name, number, expires = _parts(entry, 3)
        result.append({"name": name, "number": number, "expires_on": expires})
    return result


def parse_affiliations(cell: str | None) -> list[dict]:
    """``credit_code|institution_name|relation|started_on|ended_on`` entries as dicts for AffiliationIn
    (missing parts None); ValueError for more than five parts."""
    result = []
    for entry in split_list(cell):
        code, name, relation, started, ended = _parts(entry, 5)
        result.append({"credit_code": code, "institution_name": name, "relation": relation,
                       "started_on": started, "ended_on": ended})
    return result


def _rows(text: str, kind: str):
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED[kind] if c not in header]
    if missing:
        raise InvalidInput("the header row lacks required columns", errors=[
            {"line": 1, "column": c, "msg": "required column missing"} for c in missing])
    reader.fieldnames = header
    for index, row in enumerate(reader):
        start = reader.line_num  # the row's (last) physical line; the header is line 1
        if index >= MAX_ROWS:
            raise InvalidInput(f"at most {MAX_ROWS} rows per file", errors=[{"line": start, "msg": "too many rows"}])
        if None in row:  # more cells than header columns
            yield start, row, header, "the row has more cells than the header"
            continue
        if not any((v or "").strip() for v in row.values()):
            continue
        yield start, {k: restore((v or "").strip()) for k, v in row.items()}, header, None


def _errors_of(exc: Exception, line: int) -> list[dict]:
    if isinstance(exc, ValidationError):
        return [{"line": line, "column": str(e["loc"][0]) if e["loc"] else None,
                 "loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
    if isinstance(exc, DomainError):
        errors = exc.extensions.get("errors")
        if errors:
            return [{"line": line, "column": str(e.get("loc", [None])[0]), **e} for e in errors]
        return [{"line": line, "column": None, "msg": exc.detail}]
    return [{"line": line, "column": None, "msg": str(exc)}]


RowIn = TypeVar("RowIn", MediatorIn, ExpertIn)
Entry = TypeVar("Entry", Mediator, Expert)


def _import(session: Session, *, data: bytes, kind: str, model: type[Entry],
            build: Callable[[dict, list[str]], RowIn], save: Callable[[RowIn, Entry | None], object]) -> dict:
    """Validate every row with ``build`` and ``save`` it over the entry (of ``model``) with its username, if any."""
    text = decode(data)
    errors: list[dict] = []
    seen: dict[str, int] = {}
    created = updated = 0
    for line, row, header, problem in _rows(text, kind):
        if problem:
            errors.append({"line": line, "column": None, "msg": problem})
            continue
        username = row.get("username", "")
        if username in seen:
            errors.append({"line": line, "column": "username",
                           "msg": f"username '{username}' already appears on line {seen[username]}"})
            continue
        seen[username] = line
        try:
            data_in = build(row, header)
            existing = _entry_of(session, model, data_in.username)
            save(data_in, existing)
            was_new = existing is None
        except (ValidationError, DomainError, ValueError) as exc:
            errors.extend(_errors_of(exc, line))
            continue
        created, updated = created + was_new, updated + (not was_new)
    if errors:
        bad_lines = sorted({e["line"] for e in errors})
        raise InvalidInput(f"{len(bad_lines)} row(s) are invalid (lines {', '.join(map(str, bad_lines))}); "
                           "nothing was imported", errors=errors)
    return {"created": created, "updated": updated}


def _entry_of(session: Session, model: type[Entry], username: str | None) -> Entry | None:
    """The roster entry (mediator or expert) whose account has this username, if any, locked as the API's
    update locks it (its certifications and affiliations are replaced as a whole)."""
    return session.exec(locked(select(model).join(User, col(User.id) == col(model.user_id))
                               .where(col(User.username) == username), of=model)).first()


def import_mediators(session: Session, *, data: bytes, actor: str) -> dict:
    """Create or update (matched by username) a mediator per row through ``service.save_mediator``; returns
    the ``created`` and ``updated`` counts. Pools are named: a ``pools`` column replaces memberships (an empty
    cell clears them), without it they stay. One bad row: InvalidInput listing every bad line."""
    pools = {p.name: p.id for p in session.exec(select(Pool)).all()}

    def build(row: dict, header: list[str]) -> MediatorIn:
        unknown = [n for n in split_list(row.get("pools")) if n not in pools]
        if unknown:
            raise InvalidInput("unknown pool", errors=[{"loc": ["pools"], "msg": f"no pool named '{n}'"}
                                                       for n in unknown])
        fields = {"username": row["username"] or None, "name": row["name"], "background": row["background"],
                  "specialties": split_words(row.get("specialties")), "languages": split_words(row.get("languages")),
                  "cities": split_words(row.get("cities")),
                  "certifications": parse_certifications(row.get("certifications")),
                  "affiliations": parse_affiliations(row.get("affiliations"))}
        for column in ("years_of_practice", "max_active_cases", "status"):
            if row.get(column):
                fields[column] = row[column]
        remote = parse_bool(row.get("remote_capable"), "remote_capable")
        if remote is not None:
            fields["remote_capable"] = remote
        if "pools" in header:
            fields["pool_ids"] = [pools[n] for n in split_list(row.get("pools"))]
        return MediatorIn.model_validate(fields)

    def save(data_in: MediatorIn, existing: Mediator | None) -> None:
        service.save_mediator(session, data=data_in, actor=actor, mediator=existing)

    return _import(session, data=data, kind="mediators", model=Mediator, build=build, save=save)


def import_experts(session: Session, *, data: bytes, actor: str) -> dict:
    """Create or update (matched by username) an expert per row through ``service.save_expert``; returns the
    ``created`` and ``updated`` counts. One bad row: InvalidInput listing every bad line."""
    def build(row: dict, header: list[str]) -> ExpertIn:
        fields = {"username": row["username"] or None, "name": row["name"], "field": row["field"],
                  "title": row.get("title") or None, "organisation": row.get("organisation") or None,
                  "qualifications": split_list(row.get("qualifications")), "cities": split_words(row.get("cities")),
                  "availability_note": row.get("availability_note") or None,
                  "affiliations": parse_affiliations(row.get("affiliations"))}
        if row.get("availability"):
            fields["availability"] = row["availability"]
        active = parse_bool(row.get("active"), "active")
        if active is not None:
            fields["active"] = active
        return ExpertIn.model_validate(fields)

    def save(data_in: ExpertIn, existing: Expert | None) -> None:
        service.save_expert(session, data=data_in, actor=actor, expert=existing)

    return _import(session, data=data, kind="experts", model=Expert, build=build, save=save)


def _affiliation_cell(rows) -> str:
    return ";".join("|".join([a.credit_code or "", a.institution_name, a.relation,
                              a.started_on.isoformat() if a.started_on else "",
                              a.ended_on.isoformat() if a.ended_on else ""]).rstrip("|") for a in rows)


def _write(columns: list[str], rows) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # so that Excel opens the Chinese text as UTF-8
    writer = SafeWriter(out, lineterminator="\r\n")  # cells like "=HYPERLINK(...)" stay text
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def export_mediators(session: Session) -> str:
    """The mediator roster as CSV text in MEDIATOR_COLUMNS, in id order and in the form the import reads
    (UTF-8 with BOM, CRLF, formula-like cells quoted against CSV injection)."""
    pool_names = {p.id: p.name for p in session.exec(select(Pool)).all()}
    rows = []
    for mediator, username in session.exec(select(Mediator, User.username)
                                           .join(User, col(User.id) == Mediator.user_id)
                                           .order_by(col(Mediator.id))).all():
        certs, ties, pools = service.mediator_details(session, mediator)
        rows.append([username, mediator.name, mediator.background, mediator.years_of_practice,
                     ";".join(mediator.specialties), ";".join(mediator.languages), ";".join(mediator.cities),
                     "是" if mediator.remote_capable else "否", mediator.max_active_cases, mediator.status,
                     ";".join("|".join([c.name, c.number or "", c.expires_on.isoformat() if c.expires_on else ""])
                              .rstrip("|") for c in certs),
                     _affiliation_cell(ties), ";".join(pool_names[p] for p in pools)])
    return _write(MEDIATOR_COLUMNS, rows)


def export_experts(session: Session) -> str:
    """The expert roster as CSV text in EXPERT_COLUMNS, in id order and in the form the import reads (UTF-8
    with BOM, CRLF, formula-like cells quoted against CSV injection)."""
    rows = []
    for expert, username in session.exec(select(Expert, User.username).join(User, col(User.id) == Expert.user_id)
                                         .order_by(col(Expert.id))).all():
        ties = session.exec(select(ExpertAffiliation).where(col(ExpertAffiliation.expert_id) == expert.id)
                            .order_by(col(ExpertAffiliation.id))).all()
        rows.append([username, expert.name, expert.field, expert.title or "", expert.organisation or "",
                     ";".join(expert.qualifications), ";".join(expert.cities), expert.availability,
                     expert.availability_note or "", "是" if expert.active else "否", _affiliation_cell(ties)])
    return _write(EXPERT_COLUMNS, rows)
