"""``python -m gateway.shots VIDEO [--detector NAME] [--json]``: print the shots of a video.

Without ``--detector`` the default applies (``EMO_GATEWAY_SHOTS__DETECTOR``, else
"transnetv2" when a Triton URL is given, else "cascade"). The gateway's settings
(``EMO_GATEWAY_*``) apply; the options override them. ``--json`` prints a
JSON list of shots; otherwise one line per shot. Exit status 2 with a message on
stderr for a file that is not a readable video.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from emocore.errors import ServiceError
from gateway.decode import decode_video
from gateway.settings import GatewaySettings
from gateway.shots import DETECTORS, detect


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.shots", description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--detector", choices=DETECTORS, default=None)
    parser.add_argument("--json", action="store_true", help="print a JSON list of shots")
    parser.add_argument("--triton-url", default=None, help="run TransNetV2 on this Triton server")
    parser.add_argument("--model-repository", type=Path, default=None)
    parser.add_argument("--min-shot-s", type=float, default=None)
    parser.add_argument("--max-shot-s", type=float, default=None)
    args = parser.parse_args(argv)
    service = GatewaySettings()
    backend = {"triton_url": args.triton_url, "model_repository": args.model_repository}
    service = service.model_copy(update={k: v for k, v in backend.items() if v is not None})
    limits = {"min_shot_s": args.min_shot_s, "max_shot_s": args.max_shot_s}
    settings = service.shots.model_copy(update={k: v for k, v in limits.items() if v is not None})
    try:
        decoded = decode_video(args.video, with_audio=False, sample_fps=0.0)
        shots = detect(decoded, args.detector, service=service, settings=settings)
    except (ServiceError, FileNotFoundError) as exc:
        print(f"error: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([shot.as_dict() for shot in shots], indent=2))
    else:
        for shot in shots:
            print(f"{shot.index:4d}  frames {shot.start_frame:6d}-{shot.end_frame:<6d} "
                  f"{shot.start_s:9.3f} s - {shot.end_s:9.3f} s  {shot.transition:8s} {shot.confidence:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
