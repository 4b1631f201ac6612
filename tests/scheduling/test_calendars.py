"""Per-session .ics downloads and per-user feeds (RFC 5545), parsed back with icalendar."""

from __future__ import annotations

from datetime import timezone

from icalendar import Calendar

from .helpers import at, iso, workday_ahead


def book(client, auth, world, case_id, day, hh, **body):
    r = client.post(f"/api/v1/cases/{case_id}/sessions", headers=auth(world.officer),
                    json={"mode": "remote", "starts_at": iso(day, hh), "duration_minutes": 90, **body})
    assert r.status_code == 201, r.text
    return r.json()


def events(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_session_ics_download_is_in_shanghai_time(client, auth, world):
    day = workday_ahead()
    session = book(client, auth, world, world.case.id, day, 14)
    r = client.get(f"/api/v1/sessions/{session['id']}/calendar.ics", headers=auth(world.mediator))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    assert "attachment" in r.headers["content-disposition"]
    event = events(r.content)[session["uid"]]
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai" and event["DTEND"].params["TZID"] == "Asia/Shanghai"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == at(day, 14) and (end.hour, end.minute) == (15, 30)
    assert start.astimezone(timezone.utc).hour == 6  # 14:00 in Guangzhou is 06:00 UTC
    assert str(event["URL"]) == session["meeting_url"] and session["meeting_url"] in str(event["DESCRIPTION"])
    # Someone who cannot see the case cannot download its sessions either.
    assert client.get(f"/api/v1/sessions/{session['id']}/calendar.ics",
                      headers=auth(world.other_mediator)).status_code == 404


def test_feed_lists_the_users_sessions_and_its_token_can_be_revoked(client, auth, world):
    day = workday_ahead()
    mine = book(client, auth, world, world.case.id, day, 9)
    theirs = book(client, auth, world, world.make_ready_case(world.other_mediator).id, day, 9)
    issued = client.post("/api/v1/me/calendar-feed", headers=auth(world.mediator))
    assert issued.status_code == 201
    url = issued.json()["url"]
    assert url.startswith("http://testserver/api/v1/calendar-feeds/") and url.endswith(".ics")
    path = url.removeprefix("http://testserver")

    feed = client.get(path)  # no Authorization header: the token in the address is the credential
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.content)
    assert str(calendar["METHOD"]) == "PUBLISH" and str(calendar["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    found = events(feed.content)
    assert set(found) == {mine["uid"]}  # not the other mediator's session
    assert found[mine["uid"]].decoded("DTSTART") == at(day, 9)
    assert theirs["uid"] not in found

    # A cancelled session stays in the feed, marked cancelled, so that clients remove it.
    client.post(f"/api/v1/sessions/{mine['id']}/cancel", json={"reason": "改为书面调解"}, headers=auth(world.officer))
    assert str(events(client.get(path).content)[mine["uid"]]["STATUS"]) == "CANCELLED"

    # A new address replaces the old one; revoking ends it.
    renewed = client.post("/api/v1/me/calendar-feed", headers=auth(world.mediator)).json()["url"]
    assert client.get(path).status_code == 404
    new_path = renewed.removeprefix("http://testserver")
    assert client.get(new_path).status_code == 200
    assert client.delete("/api/v1/me/calendar-feed", headers=auth(world.mediator)).status_code == 204
    assert client.get(new_path).status_code == 404
    assert client.delete("/api/v1/me/calendar-feed", headers=auth(world.mediator)).status_code == 404
    assert client.get("/api/v1/calendar-feeds/not-a-token.ics").status_code == 404
