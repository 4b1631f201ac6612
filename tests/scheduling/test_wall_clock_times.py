"""Venue and working hours are wall-clock times in Beijing: one with an offset ('09:00Z') is a 422 problem."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("opens_at", ["09:00Z", "09:00:00+08:00"])
def test_a_venue_time_with_an_offset_is_a_validation_problem(client, make_user, auth, opens_at):
    officer = make_user("case_officer")
    r = client.post("/api/v1/venues", headers=auth(officer),
                    json={"name": "天河调解室", "address": "广州市天河区", "opens_at": opens_at})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "offset" in r.text
    ok = client.post("/api/v1/venues", headers=auth(officer),
                     json={"name": "天河调解室", "address": "广州市天河区", "opens_at": "09:00"})
    assert ok.status_code == 201, ok.text


def test_working_hours_with_an_offset_are_refused(client, make_user, auth):
    mediator = make_user("mediator")
    r = client.put(f"/api/v1/users/{mediator.id}/working-hours", headers=auth(mediator),
                   json=[{"weekday": 0, "starts": "09:00Z", "ends": "17:00"}])
    assert r.status_code == 422, r.text
