"""A corpus of bad uploads, generated here, against the real gateway over real HTTP.

Every file is made in the test with PyAV (tiny MP4/MKV/WebM/AVI clips), then cut,
flipped or mislabelled. The gateway runs under uvicorn in a thread with every
modality service pointing at a closed port: a bad upload must be refused while it is
probed, before a job exists, so no downstream service is ever asked. For each case
the test checks the status and error code, the ``emo_errors_total`` increment, that
no job was submitted and no job folder is left, and that the gateway still serves.

What is accepted on purpose: content is sniffed, not names (a real MP4 sent as
``clip.txt``/``text/plain`` is a video); a silent video (its shots get
``audio.speech: false`` with a reason); non-UTF-8 subtitles (cp1252 fallback: checked
with the real text service, whose shots list the lines as read); cues past the end of
the video (dropped). Image decompression bombs are the face
service's concern: tests/integration/test_face_service.py (``decompression-bomb``).
"""

from __future__ import annotations

import io
import select
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from devtools.broadcast import moving_face
from devtools.media import encode, raw_h264
from devtools.serve import free_port
from devtools.subtitle_files import stl_bytes
from emocore.labels import LABELS
from gateway.app import create_app
from gateway.settings import GatewaySettings
from gateway.subtitles import Cue
from services.text.app import create_app as text_app
from services.text.settings import TextSettings
from tests.integration.gateway_http import serving

LIMIT = 4 * 1024 * 1024  # max_request_bytes of the gateway under test
MAX_SECONDS = 30.0


def clip(fmt: str = "mp4", codec: str = "mpeg4", *, size: tuple[int, int] = (64, 48), frames: int = 10,
         audio: bool = False, video: bool = True, last_pts: int | None = None) -> bytes:
    """A tiny real clip (10 fps); ``last_pts`` stretches its declared duration."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=10) if video else None
        sound = container.add_stream("libopus" if fmt == "webm" else "aac", rate=48000) if audio else None
        if stream is not None:
            stream.width, stream.height = size
            stream.pix_fmt = "yuv420p"
            for index in range(frames):
                image = np.full((size[1], size[0], 3), index * 20 % 256, np.uint8)
                image[: size[1] // 2, : size[0] // 2] = 255 - image[0, 0]
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts = last_pts if last_pts is not None and index == frames - 1 else index
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        if sound is not None:
            for index in range(25):
                tone = 0.1 * np.sin(np.arange(960, dtype=np.float32) * 0.06).reshape(1, -1)
                chunk = av.AudioFrame.from_ndarray(tone.astype(np.float32), format="flt", layout="mono")
                chunk.sample_rate, chunk.pts = 48000, index * 960
                container.mux(sound.encode(chunk))
            container.mux(sound.encode(None))
    return buffer.getvalue()


def huge_declared_avi(width: int = 8000, height: int = 8000) -> bytes:
    """A 64x48 MPEG-4 AVI whose headers (AVI and the VOL bitstream header) declare width x height."""
    data = clip("avi", frames=2)
    bits = "".join(f"{byte:08b}" for byte in data)

    def vol(w: int, h: int) -> str:  # 13-bit width, marker, 13-bit height, marker
        return f"{w:013b}1{h:013b}1"

    assert vol(64, 48) in bits
    bits = bits.replace(vol(64, 48), vol(width, height))
    patched = bytearray(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))
    at = patched.find(b"avih") + 8 + 32  # dwWidth, dwHeight
    patched[at : at + 8] = struct.pack("<II", width, height)
    at = patched.find(b"strf") + 8 + 4  # BITMAPINFOHEADER biWidth, biHeight
    patched[at : at + 8] = struct.pack("<ii", width, height)
    return bytes(patched)


def flipped(data: bytes, keep: int = 48) -> bytes:
    """The first ``keep`` bytes intact (container magic), every later byte inverted."""
    return data[:keep] + bytes(b ^ 0xFF for b in data[keep:])


SRT = b"1\n00:00:00,000 --> 00:00:00,800\nhello there\n"


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    mp4, mkv, webm = clip("mp4"), clip("matroska"), clip("webm", "libvpx")
    mxf = tmp_path_factory.mktemp("mxf") / "clip.mxf"
    moving_face(mxf, seconds=0.4)
    return {
        "mxf": mxf.read_bytes(),
        "mp4": mp4, "mkv": mkv, "webm": webm,
        "mp4-with-audio": clip("mp4", audio=True),
        "audio-only": clip("mp4", audio=True, video=False),
        "png": encode(np.zeros((32, 32, 3), np.uint8), "PNG"),
        "huge-resolution": huge_declared_avi(),
        "too-long": clip("matroska", frames=3, last_pts=400),  # declares ~40 s, over MAX_SECONDS
        "raw-h264-long": raw_h264(250, copies=5),  # 50 s at 25 fps, declared nowhere
    }


def gateway_settings(root: Path, text_url: str | None = None) -> GatewaySettings:
    dead = f"http://127.0.0.1:{free_port()}"
    return GatewaySettings(
        data_dir=root, face_url=dead, text_url=text_url or dead, audio_url=dead, fusion_url=dead, retries=0,
        max_request_bytes=LIMIT, max_video_seconds=MAX_SECONDS, wait_timeout_s=120,
    )


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The gateway under uvicorn in a thread; every modality service is a closed port."""
    with serving(create_app(gateway_settings(tmp_path_factory.mktemp("gateway")))) as url:
        yield url


@pytest.fixture(scope="module")
def gateway_with_text(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The gateway with the real text service (its shots' ``text.lines`` show what was read)."""
    with serving(text_app(TextSettings())) as text_url, \
            serving(create_app(gateway_settings(tmp_path_factory.mktemp("gateway-text"), text_url))) as url:
        yield url


def metrics(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{url}/metrics").text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def errors(snapshot: dict[Any, float], code: str) -> float:
    return snapshot.get(("emo_errors_total", (("code", code), ("service", "gateway"))), 0.0)


def submitted(snapshot: dict[Any, float]) -> float:
    return snapshot[("emo_gateway_jobs_total", (("state", "submitted"),))]


def downstream(snapshot: dict[Any, float]) -> float:
    return sum(v for (name, _), v in snapshot.items() if name == "emo_gateway_downstream_requests_total")


def post(url: str, video: tuple[str, bytes, str], subtitles: bytes | None = None, **params: str) -> httpx.Response:
    files: dict[str, Any] = {"video": video}
    if subtitles is not None:
        files["subtitles"] = ("clip.srt", subtitles, "application/x-subrip")
    return httpx.post(f"{url}/v1/videos", files=files, params=params, timeout=120)


def assert_serves(url: str) -> None:
    assert httpx.get(f"{url}/health/live").status_code == 200  # not ready: no service is up
    assert httpx.get(f"{url}/v1/videos/{'0' * 32}").status_code == 404


REFUSED = [
    # (case, make the upload from the media dict, status, error code, words of the message)
    ("zero-length", lambda m: ("clip.mp4", b"", "video/mp4"), 422, "invalid_input", "empty"),
    ("mp4-truncated", lambda m: ("clip.mp4", m["mp4"][: len(m["mp4"]) // 3], "video/mp4"), 422, "invalid_input", "corrupt or truncated"),
    ("mkv-truncated", lambda m: ("clip.mkv", m["mkv"][:200], "video/x-matroska"), 422, "invalid_input", "corrupt or truncated"),
    ("webm-truncated", lambda m: ("clip.webm", m["webm"][:200], "video/webm"), 422, "invalid_input", "corrupt or truncated"),
    ("mp4-corrupted", lambda m: ("clip.mp4", flipped(m["mp4"]), "video/mp4"), 422, "invalid_input", "corrupt or truncated"),
    ("mkv-corrupted", lambda m: ("clip.mkv", flipped(m["mkv"]), "video/x-matroska"), 422, "invalid_input", "corrupt or truncated"),
    ("webm-corrupted", lambda m: ("clip.webm", flipped(m["webm"]), "video/webm"), 422, "invalid_input", "corrupt or truncated"),
    ("png-named-mp4", lambda m: ("clip.mp4", m["png"], "video/mp4"), 415, "unsupported_media_type", "still image"),
    ("audio-only", lambda m: ("clip.mp4", m["audio-only"], "video/mp4"), 415, "unsupported_media_type", "audio only"),
    ("huge-resolution", lambda m: ("clip.avi", m["huge-resolution"], "video/x-msvideo"), 413, "payload_too_large", "8000x8000"),
    ("over-max-duration", lambda m: ("clip.mkv", m["too-long"], "video/x-matroska"), 413, "payload_too_large", "limit"),
    ("mkv-unknown-codec", lambda m: ("clip.mkv", m["mkv"].replace(b"V_MPEG4/ISO/ASP", b"V_QUUX9/ISO/ASP"),
                                     "video/x-matroska"), 415, "unsupported_media_type", "codec cannot be decoded"),
    ("mxf-truncated", lambda m: ("clip.mxf", m["mxf"][:3000], "application/mxf"), 422, "invalid_input",
     "corrupt or truncated"),
    ("raw-h264-over-max", lambda m: ("clip.h264", m["raw-h264-long"], "video/h264"), 413, "payload_too_large", "declares no duration"),
]


@pytest.mark.parametrize(("case", "make", "status", "code", "words"), REFUSED, ids=[c[0] for c in REFUSED])
def test_bad_video_is_refused_before_any_job(
    gateway: str, media: dict[str, bytes], case: str, make: Any, status: int, code: str, words: str
) -> None:
    before = metrics(gateway)
    response = post(gateway, make(media))
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and words in error["message"]
    after = metrics(gateway)
    assert errors(after, code) == errors(before, code) + 1
    assert submitted(after) == submitted(before) and downstream(after) == downstream(before)
    assert_serves(gateway)


def test_a_long_raw_h264_stream_is_refused_in_bounded_time(gateway: str) -> None:
    """Counting stops at the limit: a 30-minute raw stream costs what 30 s of it costs."""
    data = raw_h264(250, copies=180)  # 45,000 frames (30 min at 25 fps) in 3.8 MB
    started = time.monotonic()
    response = post(gateway, ("film.h264", data, "video/h264"))
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"
    assert time.monotonic() - started < 15
    assert_serves(gateway)


def test_raw_h264_under_the_limit_is_analysed(gateway: str) -> None:
    response = post(gateway, ("clip.h264", raw_h264(250), "video/h264"), wait="true")
    body = finished(gateway, response)
    assert body["video"]["frames"] == 250 and body["video"]["duration_s"] == pytest.approx(10.0)
    assert len(body["shots"]) >= 1


SUBTITLES = [
    ("binary", bytes(range(256)) * 8, "not a text subtitle file"),
    ("end-before-start", b"1\n00:00:02,000 --> 00:00:01,000\nback to the future\n", "line 2"),
    ("no-cue", b"just some words\nwith no timing at all\n", "line 1"),
    ("broken-vtt-timing", b"WEBVTT\n\n00:01.000 --> soon\nhi\n", "malformed cue timing"),
    ("ttml-unclosed", b"<?xml version='1.0'?><tt xmlns='http://www.w3.org/ns/ttml'><body><p>x</body></tt>",
     "malformed TTML file: XML error (mismatched tag: line 1"),
    ("stl-truncated", stl_bytes([Cue(1.0, 2.0, "hello")])[:-28], "malformed EBU-STL file: truncated: 100 bytes"),
    ("scc-timecode", b"Scenarist_SCC V1.0\n\n01:02:03\t9420 9420\n", "malformed SCC file: line 3: expected a timecode"),
]


@pytest.mark.parametrize(("case", "data", "words"), SUBTITLES, ids=[c[0] for c in SUBTITLES])
def test_malformed_subtitles_are_refused(gateway: str, media: dict[str, bytes], case: str, data: bytes, words: str) -> None:
    before = metrics(gateway)
    response = post(gateway, ("clip.mp4", media["mp4"], "video/mp4"), data)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_subtitles" and words in error["message"]
    after = metrics(gateway)
    assert errors(after, "invalid_subtitles") == errors(before, "invalid_subtitles") + 1
    assert submitted(after) == submitted(before)
    assert_serves(gateway)


def test_unknown_subtitle_format_is_415(gateway: str, media: dict[str, bytes]) -> None:
    files = {"video": ("clip.mp4", media["mp4"], "video/mp4"),
             "subtitles": ("clip.sub", b"{1}{25}Hello there\n{26}{50}General Kenobi\n", "text/plain")}
    response = httpx.post(f"{gateway}/v1/videos", files=files, timeout=30)
    assert response.status_code == 415, response.text
    error = response.json()["error"]
    assert error["code"] == "unsupported_subtitles" and "clip.sub: unknown subtitle format" in error["message"]
    assert_serves(gateway)


def send_raw(url: str, head: bytes, body: Iterator[bytes], timeout_s: float = 20) -> tuple[bytes, int]:
    """Send a request over a plain socket, stopping once the server answers: (response head, body bytes sent)."""
    host, port = url.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=timeout_s) as sock:
        sock.sendall(head)
        for chunk in body:
            if select.select([sock], [], [], 0)[0]:
                break  # the server has answered (or closed)
            try:
                sock.sendall(chunk)
            except OSError:  # reset, broken pipe, or the server stopped reading
                break
            sent += len(chunk)
        response = b""
        while (more := sock.recv(65536)) and not _complete(response := response + more):
            pass
    return response, sent


def _complete(response: bytes) -> bool:
    head, found, body = response.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")), 0)
    return bool(found) and len(body) >= length


@pytest.fixture(scope="module")
def ten_hour_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sparse 10 GB file (about 10 hours at 2 Mbit/s) that takes no disk space."""
    path = tmp_path_factory.mktemp("sparse") / "ten_hours.mp4"
    with path.open("wb") as handle:
        handle.truncate(10 * 1024**3)
    return path


def multipart_head(url: str, length: int | None) -> tuple[bytes, bytes]:
    """The HTTP head and the multipart preamble of a 'video' part (boundary ``xyzzy``)."""
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    head = (
        f"POST /v1/videos HTTP/1.1\r\nHost: {url.removeprefix('http://')}\r\n"
        f"Content-Type: multipart/form-data; boundary=xyzzy\r\n{framing}\r\n\r\n"
    )
    part = (
        '--xyzzy\r\nContent-Disposition: form-data; name="video"; filename="ten_hours.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    )
    return head.encode(), part.encode()


def file_chunks(path: Path, first: bytes, *, chunked: bool, size: int = 256 * 1024) -> Iterator[bytes]:
    """``first`` then the file's bytes, with chunked transfer framing or without."""
    def frame(block: bytes) -> bytes:
        return f"{len(block):x}\r\n".encode() + block + b"\r\n" if chunked else block

    yield frame(first)
    with path.open("rb") as handle:
        while block := handle.read(size):
            yield frame(block)


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_ten_hour_sparse_upload_is_cut_off_at_the_limit(gateway: str, ten_hour_file: Path, declared: bool) -> None:
    before = metrics(gateway)
    length = ten_hour_file.stat().st_size if declared else None
    head, part = multipart_head(gateway, length)
    started = time.monotonic()
    response, sent = send_raw(gateway, head, file_chunks(ten_hour_file, part, chunked=not declared))
    assert response.startswith(b"HTTP/1.1 413"), response[:200]
    assert b"payload_too_large" in response
    assert time.monotonic() - started < 15
    assert sent < LIMIT + 8 * 1024 * 1024  # the server stopped it near the limit, not at 10 GB
    after = metrics(gateway)
    assert errors(after, "payload_too_large") == errors(before, "payload_too_large") + 1
    assert errors(after, "client_disconnected") == errors(before, "client_disconnected")  # it was us
    assert submitted(after) == submitted(before)
    assert_serves(gateway)


def finished(url: str, response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "done"
    return body


@pytest.mark.slow
def test_content_is_sniffed_not_the_name(gateway: str, media: dict[str, bytes]) -> None:
    body = finished(gateway, post(gateway, ("notes.txt", media["mp4-with-audio"], "text/plain"), wait="true"))
    assert body["video"]["width"] == 64 and body["video"]["has_audio"] is True


@pytest.mark.slow
def test_silent_video_is_accepted_with_no_speech(gateway: str, media: dict[str, bytes]) -> None:
    body = finished(gateway, post(gateway, ("clip.webm", media["webm"], "video/webm"), wait="true"))
    assert body["video"]["has_audio"] is False and body["text_source"] is None
    for shot in body["shots"]:
        assert shot["audio"] == {"speech": False, "label": None, "scores": None, "reason": "the video has no audio track"}
        assert "audio" not in shot.get("errors", {})


@pytest.mark.slow
@pytest.mark.parametrize(
    "subtitles",
    [
        "caf\xe9 cr\xe8me br\xfbl\xe9e".encode("cp1252"),  # not UTF-8: read as cp1252
        "caf\xe9 au lait".encode("utf-16"),  # UTF-16 with a BOM
    ],
    ids=["cp1252", "utf-16"],
)
def test_non_utf8_subtitles_and_cues_past_the_end_are_accepted(
    gateway_with_text: str, media: dict[str, bytes], subtitles: bytes
) -> None:
    text = subtitles.decode("cp1252" if b"\x00" not in subtitles else "utf-16")
    srt = f"1\n00:00:00,000 --> 00:00:00,900\n{text}\n\n2\n01:00:00,000 --> 01:00:05,000\nlong after the end\n"
    data = srt.encode("cp1252") if b"\x00" not in subtitles else srt.encode("utf-16")
    body = finished(gateway_with_text, post(gateway_with_text, ("clip.mp4", media["mp4"], "video/mp4"), data, wait="true"))
    assert body["text_source"] == "subtitles" and body["video"]["duration_s"] == pytest.approx(1.0, abs=0.11)
    # The accented words arrive as written (not mojibake) in every shot the cue overlaps (the clip's
    # steady brightness ramp may be cut as a gradual transition), and the cue an hour past the end is dropped.
    lines = [line for shot in body["shots"] if shot["text"] for line in shot["text"]["lines"]]
    assert lines and set(lines) == {text}
    assert text in ("caf\xe9 cr\xe8me br\xfbl\xe9e", "caf\xe9 au lait")
    assert "long after the end" not in str(body)
    # Each shot's text is judged: a label, or (the words read as French, which no text model
    # reads, and there is no speech to translate) no label with the reason; never an error.
    for shot in body["shots"]:
        judged = shot["text"]
        assert judged and "text" not in shot.get("errors", {})
        assert judged["label"] in LABELS or (judged["label"] is None and judged["reason"]), judged


def test_client_gone_mid_upload_is_not_a_server_error(gateway: str, ten_hour_file: Path, tmp_path: Path) -> None:
    before = metrics(gateway)
    head, part = multipart_head(gateway, 1024 * 1024)
    host, port = gateway.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + part + b"\0" * 100_000)
    deadline = time.monotonic() + 10
    while errors(after := metrics(gateway), "client_disconnected") == errors(before, "client_disconnected"):
        assert time.monotonic() < deadline, "the disconnect was not counted"
        time.sleep(0.1)
    assert errors(after, "internal_error") == errors(before, "internal_error")
    assert submitted(after) == submitted(before)
    assert_serves(gateway)
