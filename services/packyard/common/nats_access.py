"""Which NATS subjects each service may publish and subscribe to: the one table to adjust.

`packyard up` writes these into the embedded server's configuration, and compose and the chart
document the same rights for an external server. Every user gets an inbox prefix of its own
(``_INBOX_<user>``) for request replies, so no service can read another's replies; the
JetStream API subjects are the few each service's client calls (stream info and create, and
for the metadata consumer its durable pull consumer).
"""

from __future__ import annotations

from dataclasses import dataclass

from packyard.common.events import ACCESS_CHANGED, INDEX_CHANGED, STREAM, inbox_prefix

_STREAM_API = (f"$JS.API.STREAM.INFO.{STREAM}", f"$JS.API.STREAM.CREATE.{STREAM}")
# The connector's JetStream events (spelled out: their constants are on their way out of
# events.py, where the metadata service becomes the one store of upstream state).
_CONNECTOR_EVENTS = ("packyard.upstream.refreshed.>", "packyard.file.cached.>")


@dataclass(frozen=True)
class NatsAccess:
    """Subjects one NATS user may publish to and subscribe to (wildcards allowed).

    None means any subject: for an operator's or a test's own user, never for a service.
    """

    publish: tuple[str, ...] | None = None
    subscribe: tuple[str, ...] | None = None


def _inbox(user: str) -> str:
    return f"{inbox_prefix(user)}.>"


NATS_USERS: dict[str, NatsAccess] = {
    # Announces cache invalidations and consumes upstream events with a durable pull consumer.
    "metadata": NatsAccess(
        publish=(
            f"{INDEX_CHANGED}.>",
            ACCESS_CHANGED,
            *_STREAM_API,
            f"$JS.API.CONSUMER.CREATE.{STREAM}.>",
            f"$JS.API.CONSUMER.DURABLE.CREATE.{STREAM}.>",
            f"$JS.API.CONSUMER.INFO.{STREAM}.>",
            f"$JS.API.CONSUMER.MSG.NEXT.{STREAM}.>",
            f"$JS.ACK.{STREAM}.>",
        ),
        subscribe=(_inbox("metadata"),),
    ),
    # Records what it fetched from upstreams, through JetStream (acks come to its inbox), and
    # tells gateways that a proxied project's page changed.
    "connector": NatsAccess(
        publish=(*_CONNECTOR_EVENTS, f"{INDEX_CHANGED}.>", *_STREAM_API),
        subscribe=(_inbox("connector"),),
    ),
    # Only listens: cache invalidations on core NATS.
    "gateway": NatsAccess(
        publish=(),
        subscribe=(f"{INDEX_CHANGED}.>", ACCESS_CHANGED, _inbox("gateway")),
    ),
}
