"""The signalling routes refuse what they must, and change nothing when they do."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import ClientSession
from video_kit import SESSION, TOKEN, VideoHub, Viewer, eventually, running_hub

from bidopen.video import VideoSettings, VideoState
from bidopen.video.peer import complete_offer, new_peer_connection
from bidopen.video.stream import PublishRefused, stream


async def _post(url: str, body: Any, token: str | None = None) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers["Content-Type"] = "application/json"
    async with ClientSession(headers=headers) as http:
        data = body if isinstance(body, bytes) else None
        json = None if isinstance(body, bytes) else body
        async with http.post(url, data=data, json=json) as response:
            return response.status, await response.json()


async def _video_offer(direction: str) -> str:
    pc = new_peer_connection()
    pc.addTransceiver("video", direction=direction)
    try:
        return str((await complete_offer(pc)).sdp)
    finally:
        await pc.close()


async def test_publishing_without_the_host_token_is_refused(hub: VideoHub) -> None:
    offer = {"type": "offer", "sdp": await _video_offer("sendonly")}
    for token in (None, "someone-else"):
        status, body = await _post(hub.endpoint("publish"), offer, token)
        assert (status, body["error"]["code"]) == (403, "forbidden")
    try:
        await asyncio.wait_for(stream(hub.url, SESSION, "wrong-token"), 20)
    except PublishRefused as refused:
        assert "403" in str(refused)
    else:
        raise AssertionError("stream() accepted a wrong token")
    assert await hub.state() == {"state": "idle", "viewers": 0}
    assert hub.relays.publisher_id(SESSION) is None


async def test_the_viewer_cap_counts_every_session_of_the_process() -> None:
    async with running_hub(VideoSettings(max_viewers=2, view_burst=10)) as hub:
        viewers = [await Viewer.connect(hub, "a"), await Viewer.connect(hub, "b")]
        try:
            offer = {"type": "offer", "sdp": await _video_offer("recvonly")}
            status, body = await _post(hub.endpoint("view", "c"), offer)
            assert (status, body["error"]["code"]) == (503, "unavailable")
            assert "2" in body["error"]["message"]
            # Told where to watch instead: the session's public screen by default.
            assert "/screen/c" in body["error"]["message"]
            assert "/screen/c" in body["error"]["message_zh"]
            assert hub.relays.viewer_count == 2

            # A viewer that leaves frees its place.
            await viewers.pop().close()
            await eventually(lambda: hub.relays.viewer_count == 1, "the viewer's release")
            viewers.append(await Viewer.connect(hub, "c"))
            assert hub.relays.viewer_count == 2
        finally:
            for viewer in viewers:
                await viewer.close()


async def test_view_requests_are_rate_limited_per_address() -> None:
    settings = VideoSettings(view_requests_per_minute=1, view_burst=2)
    async with running_hub(settings) as hub:
        statuses = [(await _post(hub.endpoint("view"), {"type": "offer"}))[0] for _ in range(3)]
        assert statuses == [422, 422, 429]
        status, body = await _post(hub.endpoint("view"), {"type": "offer"})
        assert (status, body["error"]["code"]) == (429, "rate_limited")


async def test_malformed_offers_are_refused_and_leave_no_relay_behind() -> None:
    async with running_hub(VideoSettings(view_burst=20)) as hub:
        await _refuse_malformed_offers(hub)


async def _refuse_malformed_offers(hub: VideoHub) -> None:
    audio_only = new_peer_connection()
    audio_only.addTransceiver("audio", direction="recvonly")
    no_video = str((await complete_offer(audio_only)).sdp)
    await audio_only.close()
    broken_video = (await _video_offer("recvonly")).replace("a=ice-ufrag:", "a=ice-ufraq:")
    cases: list[tuple[Any, int, str]] = [
        (b"not json", 400, "bad_request"),
        ([1, 2], 422, "validation_failed"),
        ({"type": "answer", "sdp": "v=0\r\n"}, 422, "validation_failed"),
        ({"type": "offer", "sdp": 42}, 422, "validation_failed"),
        ({"type": "offer", "sdp": no_video}, 422, "validation_failed"),
        ({"type": "offer", "sdp": broken_video}, 422, "validation_failed"),
        ({"type": "offer", "sdp": "v=0\r\nm=video " + "x" * 70_000}, 413, "message_too_large"),
    ]
    for name, token in (("view", None), ("publish", TOKEN)):
        for body, status, code in cases:
            got_status, got = await _post(hub.endpoint(name), body, token)
            assert (got_status, got.get("error", {}).get("code")) == (status, code), name
    assert await hub.state() == {"state": "idle", "viewers": 0}
    assert hub.relays.viewer_count == 0
    assert hub.relays.publisher_id(SESSION) is None


async def test_a_viewer_offer_that_sends_video_is_answered_send_only(hub: VideoHub) -> None:
    # A browser may offer sendrecv; the relay still only sends.
    status, body = await _post(
        hub.endpoint("view"), {"type": "offer", "sdp": await _video_offer("sendrecv")}
    )
    assert status == 200
    assert "a=sendonly" in body["sdp"]


async def test_stopping_with_a_stale_publisher_id_is_a_conflict(hub: VideoHub) -> None:
    stop = asyncio.Event()
    publisher = asyncio.ensure_future(stream(hub.url, SESSION, TOKEN, stop=stop))
    try:
        await hub.wait_for_state(VideoState.LIVE)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with (
            ClientSession(headers=headers) as http,
            http.delete(hub.endpoint("publish"), params={"publisher": "stale"}) as response,
        ):
            assert response.status == 409
            assert (await response.json())["error"]["code"] == "conflict"
        assert (await hub.state())["state"] == "live"
        async with ClientSession() as http, http.delete(hub.endpoint("publish")) as response:
            assert response.status == 403
    finally:
        stop.set()
        await publisher


async def test_shutdown_closes_every_peer_connection() -> None:
    stop = asyncio.Event()
    async with running_hub() as hub:
        publisher = asyncio.ensure_future(stream(hub.url, SESSION, TOKEN, stop=stop))
        viewer = await Viewer.connect(hub)
        await hub.wait_for_state(VideoState.LIVE)
        await hub.runner.cleanup()
        await eventually(lambda: viewer.pc.connectionState == "closed", "the viewer's close")
        assert hub.relays.viewer_count == 0
        stop.set()
        await publisher
        await viewer.close()
