"""The NATS rights of each service: one table, used by `packyard up` and compose alike."""

from __future__ import annotations

import json
import re
from pathlib import Path

from packyard.common.events import INDEX_CHANGED_ANY_FEED, url_with_credentials
from packyard.common.nats_access import NATS_USERS
from packyard.engines.nats import server_config

NATS_CONF = Path(__file__).resolve().parents[2] / "deploy" / "nats.conf"


def _compose_users() -> dict[str, dict[str, object]]:
    text = NATS_CONF.read_text()
    users: dict[str, dict[str, object]] = {}
    for match in re.finditer(
        r'user: "(\w+)"\s+password: \$NATS_(\w+)_PASSWORD\s+permissions: (\{.*\})', text
    ):
        name, variable, permissions = match.groups()
        assert variable == name.upper()
        users[name] = json.loads(permissions)
    return users


def test_compose_nats_config_grants_what_the_table_says() -> None:
    embedded = json.loads(
        server_config("127.0.0.1", 4222, Path("/js"), {n: ("pw", a) for n, a in NATS_USERS.items()})
    )
    expected = {u["user"]: u["permissions"] for u in embedded["authorization"]["users"]}
    assert _compose_users() == expected


def test_no_service_may_subscribe_to_everything_or_to_anothers_replies() -> None:
    for name, access in NATS_USERS.items():
        assert access.publish is not None and access.subscribe is not None, name
        for subject in access.subscribe:
            assert subject not in {">", "_INBOX.>", "packyard.>"}, (name, subject)
            if subject.startswith("_INBOX"):
                assert subject == f"_INBOX_{name}.>"
    # The gateway listens to cache invalidations and publishes nothing at all.
    assert INDEX_CHANGED_ANY_FEED in (NATS_USERS["gateway"].subscribe or ())
    assert NATS_USERS["gateway"].publish == ()
    # Only the metadata service announces changes (events are notifications, never writes).
    publishers = {n for n, a in NATS_USERS.items() if INDEX_CHANGED_ANY_FEED in (a.publish or ())}
    assert publishers == {"metadata"}
    assert set(NATS_USERS) == {"metadata", "gateway"}


def test_credentials_ride_in_the_url_percent_encoded() -> None:
    url = url_with_credentials("nats://nats:4222", "gateway", "p@ss:w/rd")
    assert url == "nats://gateway:p%40ss%3Aw%2Frd@nats:4222"
    assert url_with_credentials("nats://nats:4222", "", "ignored") == "nats://nats:4222"
