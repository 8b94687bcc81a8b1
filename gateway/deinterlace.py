"""Deinterlacing of interlaced video frames before they are sampled, with FFmpeg's ``bwdif`` through PyAV.

A stream is interlaced when its decoder reports a field order other than
progressive/unknown (``codec_context.field_order``: TT, BB, TB, BT; what ffprobe
shows as ``field_order``) or its first frame is flagged ``interlaced_frame``.
``bwdif`` (``mode=send_frame``: one frame out per frame in, the same rate;
``parity=auto``: the field order the stream declares; ``deint=interlaced``: only
frames flagged interlaced, so progressive frames in such a stream pass as they are) builds each
frame from its two fields and the neighbouring frames, which removes the combing a
moving face shows in an interlaced frame. It holds one frame back; ``flush`` gives
the rest at the end. Output frames keep their input's times (taken in order).
"""

from __future__ import annotations

from collections import deque

import av
import av.filter

FILTER, OPTIONS = "bwdif", "mode=send_frame:parity=auto:deint=interlaced"
PROGRESSIVE_ORDERS = {0, 1}  # AV_FIELD_UNKNOWN, AV_FIELD_PROGRESSIVE


def is_interlaced(stream: av.VideoStream, frame: av.VideoFrame) -> bool:
    """Whether the stream carries interlaced frames (its field order, or the frame's flag)."""
    order = getattr(stream.codec_context, "field_order", 0)
    return bool(frame.interlaced_frame) or (isinstance(order, int) and order not in PROGRESSIVE_ORDERS)


class Deinterlacer:
    def __init__(self, stream: av.VideoStream) -> None:
        self.graph = av.filter.Graph()
        source = self.graph.add_buffer(template=stream)
        deinterlace = self.graph.add(FILTER, OPTIONS)
        sink = self.graph.add("buffersink")
        source.link_to(deinterlace)
        deinterlace.link_to(sink)
        self.graph.configure()
        self.times: deque[tuple[float | None, float]] = deque()  # (time, duration) of frames pushed

    def _pull(self) -> list[tuple[av.VideoFrame, float | None, float]]:
        out: list[tuple[av.VideoFrame, float | None, float]] = []
        while True:
            try:
                frame = self.graph.vpull()
            except (BlockingIOError, av.error.EOFError):
                return out
            time, duration = self.times.popleft() if self.times else (None, 0.0)
            out.append((frame, time, duration))

    def push(self, frame: av.VideoFrame) -> list[tuple[av.VideoFrame, float | None, float]]:
        """Deinterlaced frames ready after ``frame`` (usually the one before it), with their input times."""
        duration = float(frame.duration * frame.time_base) if frame.duration and frame.time_base else 0.0
        self.times.append((frame.time, duration))
        self.graph.vpush(frame)
        return self._pull()

    def flush(self) -> list[tuple[av.VideoFrame, float | None, float]]:
        self.graph.vpush(None)
        return self._pull()
