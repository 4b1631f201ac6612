"""GET /api/v1/cases/{id}/session-slots: the earliest times where everyone (and a room) is free."""

from __future__ import annotations

from datetime import datetime, timedelta

from mediation_svc.cases.models import CalendarOverride
from mediation_svc.db import unit_of_work

from .helpers import at, iso, make_venue, workday_ahead


def slots(client, auth, user, case_id, **params):
    r = client.get(f"/api/v1/cases/{case_id}/session-slots", params=params, headers=auth(user))
    assert r.status_code == 200, r.text
    return r.json()


def starts(body):
    return [datetime.fromisoformat(s["starts_at"].replace("Z", "+00:00")) for s in body["slots"]]


def test_first_slot_follows_the_mediators_calendar_and_buffer(client, auth, world):
    day = workday_ahead()
    # The mediator is busy 09:00-10:00 on another case (+15 min buffer): the first 60-minute slot is 10:30.
    other = world.make_ready_case()
    client.post(f"/api/v1/cases/{other.id}/sessions", headers=auth(world.officer),
                json={"mode": "remote", "starts_at": iso(day, 9), "duration_minutes": 60})
    body = slots(client, auth, world.officer, world.case.id, mode="remote", duration=60, limit=3,
                 **{"from": day.isoformat(), "to": day.isoformat()})
    assert starts(body) == [at(day, 10, 30), at(day, 11), at(day, 13, 30)]
    assert any("调解员 王敏" == r for r in body["required"])
    assert body["slots"][0]["room_id"] is None


def test_on_site_needs_a_free_room(client, auth, world, engine):
    day = workday_ahead()
    single = make_venue(engine, rooms=1, name="佛山调解室")
    # The only room of that venue is taken 09:00-11:00 by another mediator's session.
    other = world.make_ready_case(world.other_mediator)
    r = client.post(f"/api/v1/cases/{other.id}/sessions", headers=auth(world.officer),
                    json={"mode": "onsite", "starts_at": iso(day, 9), "duration_minutes": 120,
                          "room_id": single.rooms[0]})
    assert r.status_code == 201, r.text
    body = slots(client, auth, world.officer, world.case.id, mode="onsite", duration=60, limit=2,
                 venue_id=single.id, **{"from": day.isoformat(), "to": day.isoformat()})
    assert starts(body) == [at(day, 11), at(day, 13, 30)]
    assert {s["room_id"] for s in body["slots"]} == {single.rooms[0]}
    # Booking the slot it offered works.
    first = body["slots"][0]
    booked = client.post(f"/api/v1/cases/{world.case.id}/sessions", headers=auth(world.officer),
                         json={"mode": "onsite", "starts_at": first["starts_at"], "duration_minutes": 60,
                               "room_id": first["room_id"]})
    assert booked.status_code == 201, booked.text
    # A room too small for the case's participants is never offered.
    tiny = make_venue(engine, rooms=1, capacity=2, name="小调解室")
    assert slots(client, auth, world.officer, world.case.id, mode="onsite", venue_id=tiny.id,
                 **{"from": day.isoformat(), "to": day.isoformat()})["slots"] == []


def test_slots_skip_holidays_and_use_adjusted_working_days(client, auth, world, engine):
    monday = workday_ahead(weeks=2, weekday=0)
    saturday = monday + timedelta(days=5)
    with unit_of_work(engine) as session:
        session.add(CalendarOverride(day=monday, is_workday=False, note="放假"))
        session.add(CalendarOverride(day=saturday, is_workday=True, note="调休上班"))
    body = slots(client, auth, world.officer, world.case.id, mode="remote", duration=60, limit=100,
                 **{"from": monday.isoformat(), "to": (monday + timedelta(days=6)).isoformat()})
    days = {datetime.fromisoformat(s["starts_at_local"].replace(" ", "T")).date() for s in body["slots"]}
    assert monday not in days and monday.isoformat() not in body["working_days"]
    assert saturday.isoformat() in body["working_days"]
    assert (monday + timedelta(days=6)).isoformat() not in body["working_days"]  # Sunday
    full = slots(client, auth, world.officer, world.case.id, mode="remote", duration=60, limit=100,
                 **{"from": saturday.isoformat(), "to": saturday.isoformat()})
    assert starts(full)[0] == at(saturday, 9)


def test_experts_calendar_counts_when_asked(client, auth, world, make_user):
    expert = make_user("expert", display_name="张教授")
    day = workday_ahead()
    other = world.make_ready_case(world.other_mediator)
    client.post(f"/api/v1/cases/{other.id}/sessions", headers=auth(world.officer),
                json={"mode": "remote", "starts_at": iso(day, 9), "duration_minutes": 180,
                      "participants": [{"role": "expert", "user_id": expert.id}]})
    without = slots(client, auth, world.officer, world.case.id, mode="remote", limit=1,
                    **{"from": day.isoformat(), "to": day.isoformat()})
    with_expert = slots(client, auth, world.officer, world.case.id, mode="remote", limit=1, user_ids=[expert.id],
                        **{"from": day.isoformat(), "to": day.isoformat()})
    assert starts(without) == [at(day, 9)]
    assert starts(with_expert) == [at(day, 13, 30)]


def test_slots_are_for_schedulers_only(client, auth, world, make_user):
    r = client.get(f"/api/v1/cases/{world.case.id}/session-slots", headers=auth(make_user("party")))
    assert r.status_code == 403
    r = client.get(f"/api/v1/cases/{world.case.id}/session-slots", headers=auth(world.other_mediator))
    assert r.status_code == 404
    bad = client.get(f"/api/v1/cases/{world.case.id}/session-slots", headers=auth(world.officer),
                     params={"from": "2027-01-10", "to": "2027-01-01"})
    assert bad.status_code == 422


def test_a_closed_room_is_neither_offered_nor_bookable(client, auth, world, engine, make_user):
    day = workday_ahead()
    single = make_venue(engine, rooms=1, name="珠海调解室")
    room = single.rooms[0]
    closure = {"starts_at": iso(day, 0), "ends_at": iso(day, 13), "reason": "消防检修"}
    assert client.post(f"/api/v1/rooms/{room}/closures", json=closure,
                       headers=auth(make_user("party"))).status_code == 403
    assert client.post(f"/api/v1/rooms/{room}/closures", json=closure,
                       headers=auth(world.officer)).status_code == 201
    body = slots(client, auth, world.officer, world.case.id, mode="onsite", duration=60, limit=1, venue_id=single.id,
                 **{"from": day.isoformat(), "to": day.isoformat()})
    assert starts(body) == [at(day, 13, 30)]
    refused = client.post(f"/api/v1/cases/{world.case.id}/sessions", headers=auth(world.officer),
                          json={"mode": "onsite", "starts_at": iso(day, 10), "duration_minutes": 60, "room_id": room})
    assert refused.status_code == 422 and "消防检修" in refused.json()["detail"]
