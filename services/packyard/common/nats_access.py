"""Which NATS subjects each service may publish and subscribe to: the one table to adjust.

`packyard up` writes these into the embedded server's configuration, and compose and the chart
document the same rights for an external server. Every user gets an inbox prefix of its own
(``_INBOX_<user>``) for request replies, so no service can read another's replies; the
JetStream API subjects are the few each service's client calls (stream info, create and update
for the metadata service's outbox relay; its publishes are acknowledged to its inbox). The
gateway listens on core NATS and has no JetStream rights (no consumers: see
docs/architecture.md, "Events"). The connector has no user: it records what it fetched through
the metadata service, which announces the change.
"""

from __future__ import annotations

from dataclasses import dataclass

from packyard.common.events import ACCESS_CHANGED, DEAD_OUTBOX, INDEX_CHANGED, STREAM, inbox_prefix

_STREAM_API = (
    f"$JS.API.STREAM.INFO.{STREAM}",
    f"$JS.API.STREAM.CREATE.{STREAM}",
    f"$JS.API.STREAM.UPDATE.{STREAM}",
)


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
    # Relays cache invalidations from its outbox (JetStream: acks come to its inbox), and
    # announces an event NATS could never take on the dead-letter subject.
    "metadata": NatsAccess(
        publish=(f"{INDEX_CHANGED}.>", ACCESS_CHANGED, DEAD_OUTBOX, *_STREAM_API),
        subscribe=(_inbox("metadata"),),
    ),
    # Only listens: cache invalidations on core NATS.
    "gateway": NatsAccess(
        publish=(),
        subscribe=(f"{INDEX_CHANGED}.>", ACCESS_CHANGED, _inbox("gateway")),
    ),
}
