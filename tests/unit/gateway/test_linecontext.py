"""The context of each classified line: the lines before it, up to a count, back to the first long silence."""

from __future__ import annotations

from gateway.linecontext import LineContext, LineKey


def line(start_s: float, end_s: float, text: str) -> LineKey:
    return start_s, end_s, text


A, B, C, D, E = line(0.0, 1.0, "a"), line(1.5, 2.5, "b"), line(3.0, 4.0, "c"), line(4.5, 5.5, "d"), line(6.0, 7.0, "e")


def test_at_most_the_last_lines_oldest_first() -> None:
    assert LineContext(3, 10.0).add([A, B, C, D, E]) == [[], ["a"], ["a", "b"], ["a", "b", "c"], ["b", "c", "d"]]
    assert LineContext(1, 10.0).add([A, B, C]) == [[], ["a"], ["b"]]


def test_no_context_is_none_so_nothing_is_sent() -> None:
    context = LineContext(0, 10.0)
    assert context.add([A, B]) is None and context.recent == []


def test_a_silence_longer_than_the_gap_ends_the_context() -> None:
    far = line(20.0, 21.0, "after a pause")
    near = line(30.5, 31.0, "just after")  # 9.5 s after "after a pause": within the gap
    assert LineContext(3, 10.0).add([A, B, far, near]) == [[], ["a"], [], ["after a pause"]]


def test_the_gap_is_measured_between_neighbours_along_the_chain_back() -> None:
    x, y, z = line(0.0, 2.0, "x"), line(12.0, 13.0, "y"), line(20.0, 21.0, "z")
    # z starts 18 s after x ends, but no silence on the way back is longer than 10 s
    assert LineContext(3, 10.0).add([x, y, z]) == [[], ["x"], ["x", "y"]]
    assert LineContext(3, 9.9).add([x, y, z]) == [[], [], ["y"]]  # the 10-s silence before y ends z's context


def test_overlapping_lines_count_and_ties_go_by_end_then_text() -> None:
    first, second = line(1.0, 3.0, "first speaker"), line(1.0, 3.0, "second speaker")  # same times
    cross = line(2.0, 4.0, "talks over them")
    assert LineContext(3, 0.0).add([cross, second, first]) == [
        ["first speaker", "second speaker"], ["first speaker"], []
    ]


def test_lines_added_before_count_and_only_the_last_few_are_kept() -> None:
    context = LineContext(2, 10.0)
    for start in range(0, 10_000, 2):  # a feature film's worth of lines, one batch each
        context.add([line(float(start), start + 1.0, f"line {start}")])
    assert context.recent == [line(9996.0, 9997.0, "line 9996"), line(9998.0, 9999.0, "line 9998")]
    assert context.add([line(10_000.0, 10_001.0, "next")]) == [["line 9996", "line 9998"]]


def test_a_line_seen_again_or_out_of_order_gets_only_the_lines_before_it() -> None:
    context = LineContext(3, 10.0)
    context.add([A, C])
    assert context.add([C, D]) == [["a"], ["a", "c"]]  # C again (a failed request retried) is not its own context
    assert context.add([B]) == [["a"]]  # a line that comes late: C and D are after it
    assert context.recent == [B, C, D]
