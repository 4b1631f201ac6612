"""The who-sees-what table on plain values."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from mediation_svc.errors import Forbidden
from mediation_svc.security.access import Obj, View, require, view_of
from mediation_svc.security.roles import Role


@pytest.mark.parametrize("role, obj, view", [
    (Role.PARTY, Obj.EVIDENCE_PACKAGE, None), (Role.PARTY, Obj.SIGNING_EVIDENCE, None),
    (Role.PARTY, Obj.AUDIT_TRAIL, View.SUMMARY), (Role.PARTY, Obj.AGREEMENT, View.FULL),
    (Role.EXPERT, Obj.AGREEMENT, None), (Role.EXPERT, Obj.AUDIT_TRAIL, None), (Role.EXPERT, Obj.CASE, View.FULL),
    (Role.COURT, Obj.EVIDENCE_PACKAGE, View.FULL), (Role.MEDIATOR, Obj.SIGNING_EVIDENCE, View.FULL),
    (Role.CASE_OFFICER, Obj.AUDIT_TRAIL, View.FULL), ("someone", Obj.CASE, None),
])
def test_views(role, obj, view):
    assert view_of(role, obj) == view


def test_every_object_has_a_rule_and_require_refuses_with_forbidden():
    assert set(Obj) == set(__import__("mediation_svc.security.access", fromlist=["RULES"]).RULES)
    with pytest.raises(Forbidden):
        require(SimpleNamespace(role=Role.PARTY), Obj.EVIDENCE_PACKAGE)
    assert require(SimpleNamespace(role=Role.COURT), Obj.EVIDENCE_PACKAGE) == View.FULL
