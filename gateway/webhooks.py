"""Webhook delivery from the outbox: signed POSTs, retried with backoff, at least once.

Every API process and worker runs a ``WebhookSender`` (its connections checked by
``gateway.outbound``'s address policy, as at submit time): every ``queue_poll_s`` (or at
once when woken by a job ending here) it claims due events from the store, POSTs
each event's stored body as is, and marks it delivered (2xx), due again after
``webhook_backoff_s`` doubled per attempt (errors, 5xx, 429; capped at
``webhook_max_backoff_s``, with jitter), or given up (another 4xx, or after
``webhook_retries`` retries). Because the schedule is in the database, retries go on
across restarts and in whichever process is alive.

Headers: ``X-Event-Id`` and ``X-Job-Id`` (also in the body), and with
``EMO_GATEWAY_WEBHOOK_SECRET`` set ``X-Signature: sha256=<hex HMAC-SHA256 of the body>``,
which a receiver checks with ``hmac.compare_digest`` before trusting the body.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import random

import httpx

from gateway.jobs import JobStore
from gateway.outbound import guarded_client
from gateway.outbox import Event
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)
BATCH = 16
CLAIM_S = 60.0  # an event is held this long by the sender that claimed it


async def until_set(event: asyncio.Event, timeout_s: float) -> None:
    """Wait until ``event`` is set or ``timeout_s`` passed.

    Not ``asyncio.wait_for(event.wait())``: on Python 3.11 that swallows a cancellation
    arriving as the event is set, and a stopping loop would then never stop.
    """
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({waiter}, timeout=timeout_s)
    finally:
        waiter.cancel()


def signature(secret: str, body: bytes) -> str:
    """The ``X-Signature`` value for ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSender:
    def __init__(self, settings: GatewaySettings, store: JobStore) -> None:
        self.settings = settings
        self.store = store
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    def headers(self, event: Event) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "X-Event-Id": event.id, "X-Job-Id": event.job_id}
        if self.settings.webhook_secret is not None:
            headers["X-Signature"] = signature(self.settings.webhook_secret.get_secret_value(), event.body.encode())
        return headers

    async def run(self) -> None:
        """Deliver due events until cancelled."""
        async with guarded_client(self.settings.address_policy(), timeout=10.0) as client:
            while True:
                try:
                    events = await asyncio.to_thread(self.store.claim_events, BATCH, CLAIM_S)
                    await asyncio.gather(*(self._send(client, event) for event in events))
                except Exception:  # the database is away: try again next period
                    log.exception("webhook outbox pass failed")
                    events = []
                if len(events) < BATCH:
                    await until_set(self._wake, self.settings.queue_poll_s)
                    self._wake.clear()

    async def _send(self, client: httpx.AsyncClient, event: Event) -> None:
        try:
            response = await client.post(event.url, content=event.body.encode(), headers=self.headers(event))
            if response.status_code < 300:
                await asyncio.to_thread(self.store.delivered, event.id)
                return
            reason = f"HTTP {response.status_code}"
            if response.status_code < 500 and response.status_code != 429:
                log.warning("webhook %s refused event %s: %s", event.url, event.id, reason)
                await asyncio.to_thread(self.store.give_up, event.id, reason)
                return
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {exc}"
        if event.attempts > self.settings.webhook_retries:
            log.warning("webhook %s: event %s not delivered after %d attempts (%s)", event.url, event.id,
                        event.attempts, reason)
            await asyncio.to_thread(self.store.give_up, event.id, reason)
            return
        delay = min(self.settings.webhook_max_backoff_s, self.settings.webhook_backoff_s * 2 ** (event.attempts - 1))
        delay *= random.uniform(0.8, 1.2)
        log.info("webhook %s: event %s failed (%s); retrying in %.1f s", event.url, event.id, reason, delay)
        await asyncio.to_thread(self.store.retry_later, event.id, delay, reason)
