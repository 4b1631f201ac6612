"""Meeting links for remote and hybrid sessions: the configured provider, or a link typed by the officer."""

from __future__ import annotations

import pytest

from mediation_svc.errors import InvalidInput
from mediation_svc.scheduling.meetings import BuiltinRoomProvider, check_manual_link

from .helpers import iso, make_venue, workday_ahead


def test_builtin_provider_uses_the_configured_base_and_fresh_secrets():
    provider = BuiltinRoomProvider("https://jitsi.zhenghe.example/")
    links = {provider.create_link(session_uid="same-uid") for _ in range(50)}
    assert len(links) == 50  # nothing derived from the session: the room name is random every time
    assert all(link.startswith("https://jitsi.zhenghe.example/tjhy-") for link in links)


@pytest.mark.parametrize("url", ["http://meet.example.org/x", "javascript:alert(1)", "https:///nohost",
                                 "https://meet.example.org/a b", "ftp://meet.example.org/x"])
def test_typed_links_must_be_https(url):
    with pytest.raises(InvalidInput):
        check_manual_link(url)


def test_hybrid_session_gets_a_video_room_and_a_link_on_the_configured_base(client, auth, world, engine, settings):
    settings.meeting_base_url = "https://jitsi.zhenghe.example/rooms"
    day = workday_ahead()
    no_video = make_venue(engine, rooms=1, video=False, name="无视频调解室").rooms[0]
    url = f"/api/v1/cases/{world.case.id}/sessions"
    refused = client.post(url, headers=auth(world.officer),
                          json={"mode": "hybrid", "starts_at": iso(day, 10), "duration_minutes": 60, "room_id": no_video})
    assert refused.status_code == 422 and "视频设备" in refused.json()["detail"]
    r = client.post(url, headers=auth(world.officer),
                    json={"mode": "hybrid", "starts_at": iso(day, 10), "duration_minutes": 60,
                          "room_id": world.venue.rooms[0]})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["room_id"] == world.venue.rooms[0] and body["meeting_provider"] == "builtin"
    assert body["meeting_url"].startswith("https://jitsi.zhenghe.example/rooms/tjhy-")
    onsite = client.post(url, headers=auth(world.officer),
                         json={"mode": "onsite", "starts_at": iso(day, 14), "duration_minutes": 60,
                               "room_id": world.venue.rooms[0]}).json()
    assert onsite["meeting_url"] is None
