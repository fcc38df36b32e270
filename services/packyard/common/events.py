"""The JetStream event stream every service shares: its name, subjects, settings, declaration.

One stream, ``PACKYARD``, holds every ``packyard.>`` subject (STYLE §10.12): subjects are
``packyard.<entity>.<past-tense-verb>.<feed>``, payloads are protobuf messages from
``events.proto``, and each message carries a ``Nats-Msg-Id`` (one per event, kept by a resend)
so JetStream stores a resent event once (within the duplicate window).

Events are notifications only (nothing is written because of one): ``packyard.index.changed.FEED``
(``IndexChanged``; an empty project means every page of the feed) and
``packyard.access.changed`` (no payload: keys, permissions, users or feed access changed).
The metadata service writes each as an outbox row in the transaction of its change and relays
it to the stream (``metadata/outbox``); gateways receive them on core NATS (a JetStream
publish reaches core subscribers too) and drop their page and authentication caches.
``packyard.dead.>`` is the dead-letter subject: the relay announces there an event NATS can
never take, and a JetStream consumer's undeliverable messages belong there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import StreamConfig, StreamInfo
from nats.js.errors import BadRequestError, NotFoundError

log = logging.getLogger(__name__)

STREAM = "PACKYARD"
SUBJECTS = ["packyard.>"]
# The stream records notifications only; they must not pile up forever.
RETENTION = 7 * 24 * 3600.0  # seconds
MSG_ID_HEADER = "Nats-Msg-Id"

INDEX_CHANGED = "packyard.index.changed"
ACCESS_CHANGED = "packyard.access.changed"
# What a gateway subscribes to for index changes of every feed.
INDEX_CHANGED_ANY_FEED = f"{INDEX_CHANGED}.>"
# Dead letters: packyard.dead.outbox for events the relay could never send (the payload is the
# subject they were for); consumers with max_deliver route what they give up on here.
DEAD = "packyard.dead"
DEAD_OUTBOX = f"{DEAD}.outbox"


def subject(kind: str, feed: str) -> str:
    """``kind.FEED``; feed names are tokens already ([A-Za-z0-9._-]); dots would split them."""
    return f"{kind}.{feed.replace('.', '_')}"


@dataclass(frozen=True)
class StreamSettings:
    """What an operator chooses for the stream (PACKYARD_NATS_STREAM_REPLICAS, …).

    ``duplicate_window`` must cover the relay's retry horizon: an event acknowledged but not yet
    deleted from the outbox when its relay died is sent again by the next relay to run.
    """

    replicas: int = 1
    duplicate_window: float = 600.0  # seconds

    def config(self) -> StreamConfig:
        return StreamConfig(
            name=STREAM,
            subjects=SUBJECTS,
            duplicate_window=self.duplicate_window,
            max_age=RETENTION,
            num_replicas=self.replicas,
        )


def _differs(info: StreamInfo, wanted: StreamConfig) -> bool:
    have = info.config
    return (have.num_replicas or 1, have.duplicate_window) != (
        wanted.num_replicas,
        wanted.duplicate_window,
    )


async def ensure_stream(js: JetStreamContext, settings: StreamSettings | None = None) -> None:
    """Declare the stream, or bring its replicas and duplicate window to the settings
    (idempotent: several replicas race on start)."""
    wanted = (settings or StreamSettings()).config()
    try:
        info = await js.stream_info(STREAM)
    except NotFoundError:
        info = None
    if info is not None:
        if _differs(info, wanted):
            await js.update_stream(wanted)
            log.info("events.stream_updated", extra={"replicas": wanted.num_replicas})
        return
    try:
        await js.add_stream(wanted)
    except BadRequestError:
        # Someone created it meanwhile; anything else is a real error.
        await js.stream_info(STREAM)


Callback = Callable[[], Awaitable[None]]


def inbox_prefix(user: str) -> str:
    """The reply-subject prefix of ``user``'s client; its subscribe right covers only this."""
    return f"_INBOX_{user}"


def url_with_credentials(url: str, user: str, password: str) -> str:
    """``url`` carrying ``user:password`` (percent-encoded), as `connect` takes credentials.

    Services build it once from their settings (PACKYARD_NATS_USER/PASSWORD); no user, no change.
    """
    if not url or not user:
        return url
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    userinfo = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))


def _split_credentials(url: str) -> tuple[str, str | None, str | None]:
    # nats-py reads userinfo from the URL without percent-decoding it: decode it here and
    # pass it as options, so any password works.
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=host)), unquote(user), unquote(password)


async def connect(
    url: str,
    name: str,
    *,
    disconnected_cb: Callback | None = None,
    reconnected_cb: Callback | None = None,
    closed_cb: Callback | None = None,
) -> NATS:
    """A client that, once connected, reconnects forever (a NATS outage is a pause, not a crash).

    The first connection is the caller's to retry: nats-py gives up on it when no server answers.
    ``reconnected_cb`` runs once the subscriptions are registered again on the server.
    """
    # With unlimited attempts nats-py would also retry the *first* connection forever inside
    # connect(); so connect with one retry, then allow unlimited reconnects.
    server, user, password = _split_credentials(url)
    nc = await nats.connect(
        server,
        name=name,
        user=user or None,
        password=password if user else None,
        # Each user may subscribe only to its own inbox prefix (common/nats_access.py).
        inbox_prefix=inbox_prefix(user) if user else "_INBOX",
        connect_timeout=2,
        reconnect_time_wait=0.5,
        max_reconnect_attempts=1,
        allow_reconnect=True,
        error_cb=_quiet_error,
        disconnected_cb=_also(_disconnected, disconnected_cb),
        reconnected_cb=reconnected_cb,
        closed_cb=closed_cb,
    )
    nc.options["max_reconnect_attempts"] = -1
    return nc


async def _quiet_error(exc: Exception) -> None:
    log.debug("nats.error", extra={"error": f"{type(exc).__name__}: {exc}"})


async def _disconnected() -> None:
    log.info("nats.disconnected")


def _also(first: Callback, then: Callback | None) -> Callback:
    if then is None:
        return first

    async def both() -> None:
        await first()
        await then()

    return both


async def connect_with_retry(
    url: str,
    name: str,
    stop: asyncio.Event,
    *,
    disconnected_cb: Callback | None = None,
    reconnected_cb: Callback | None = None,
    closed_cb: Callback | None = None,
) -> NATS | None:
    """Connect, retrying with backoff until connected or ``stop`` is set (then None)."""
    delay = 0.2
    while not stop.is_set():
        try:
            return await connect(
                url,
                name,
                disconnected_cb=disconnected_cb,
                reconnected_cb=reconnected_cb,
                closed_cb=closed_cb,
            )
        except Exception as exc:  # nats-py raises several unrelated types here
            log.debug("nats.connect_failed", extra={"error": f"{type(exc).__name__}: {exc}"})
        try:
            await asyncio.wait_for(stop.wait(), delay)
        except TimeoutError:
            delay = min(delay * 2, 5.0)
    return None
