"""The data's vocabulary: every code a page may show has Chinese and English text in the catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mediation_svc.rosters.models import Background, ExpertAvailability, ExpertField, MediatorStatus
from mediation_svc.scheduling.models import ParticipantRole, SessionMode, SessionStatus
from mediation_svc.i18n.labels import CATALOGUE, has_label, label

ROOT = Path(__file__).resolve().parents[2] / "mediation_svc"
ACTION = re.compile(r"""action=["']([a-z_]+\.[a-z_]+)["']""")


@pytest.mark.parametrize("kind, enum", [
    ("mediator_status", MediatorStatus), ("background", Background), ("expert_field", ExpertField),
    ("availability", ExpertAvailability), ("session_status", SessionStatus), ("session_mode", SessionMode),
    ("participant_role", ParticipantRole),
])
def test_every_enum_value_has_words(kind, enum):
    missing = [v.value for v in enum if not has_label(kind, v)]
    assert missing == []


def test_every_audit_action_the_code_records_has_words():
    recorded = {a for path in ROOT.rglob("*.py") for a in ACTION.findall(path.read_text(encoding="utf-8"))}
    assert len(recorded) > 40
    assert sorted(a for a in recorded if not has_label("action", a)) == []


def test_every_error_type_the_code_raises_has_words():
    slugs = {s for path in ROOT.rglob("*.py")
             for s in re.findall(r"""slug[^=\n]*=\s*(?:\d+,\s*)?["']([a-z0-9-]+)["']""", path.read_text(encoding="utf-8"))}
    assert {"not-found", "scheduling-conflict", "not-a-pdf"} <= slugs
    assert sorted(s for s in slugs if not has_label("error", s)) == []


def test_each_entry_is_chinese_then_english_and_unknown_codes_never_show():
    for kind, entries in CATALOGUE.items():
        for code, (zh, en) in entries.items():
            assert re.search(r"[\u4e00-\u9fff]", zh) or zh in ("SHA-256",), (kind, code)
            assert not re.search(r"[\u4e00-\u9fff]", en), (kind, code)
    assert label("session_status", "teleported") == "其他" and label("case_status", "teleported", "en") == "other"
    assert label("case_status", "in_mediation") == "调解中"
