"""The circuit breaker's state machine, on a controllable clock."""

from __future__ import annotations

from gateway.breaker import CircuitBreaker, State


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(threshold: int = 3, reset: float = 10.0) -> tuple[CircuitBreaker, Clock, list[State]]:
    clock = Clock()
    changes: list[State] = []
    breaker = CircuitBreaker(
        "face", failure_threshold=threshold, reset_timeout_s=reset, clock=clock,
        on_change=lambda _name, state: changes.append(state),
    )
    return breaker, clock, changes


def test_opens_after_consecutive_failures_only() -> None:
    breaker, _, _ = make()
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # resets the count
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is State.CLOSED and breaker.allow()
    breaker.record_failure()
    assert breaker.state is State.OPEN
    assert not breaker.allow()
    assert breaker.retry_in() == 10.0


def test_half_open_lets_one_trial_through_and_success_closes() -> None:
    breaker, clock, changes = make()
    for _ in range(3):
        breaker.record_failure()
    clock.now += 10.0
    assert breaker.state is State.HALF_OPEN
    assert breaker.allow() is True
    assert breaker.allow() is False  # one trial at a time
    breaker.record_success()
    assert breaker.state is State.CLOSED and breaker.allow()
    assert changes == [State.OPEN, State.HALF_OPEN, State.CLOSED]


def test_failed_trial_opens_again_for_a_full_timeout() -> None:
    breaker, clock, _ = make()
    for _ in range(3):
        breaker.record_failure()
    clock.now += 10.0
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is State.OPEN
    clock.now += 9.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.allow()


def test_a_cancelled_trial_gives_its_slot_back() -> None:
    breaker, clock, _ = make(threshold=1)
    breaker.record_failure()
    clock.now += 10.0
    assert breaker.allow()
    breaker.release()
    assert breaker.allow()
