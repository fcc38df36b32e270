"""Pure pieces of OpenID Connect sign-in: the pending cookie and the groups claim."""

from __future__ import annotations

from packyard.gateway.auth.oidc import Pending, groups_of


def test_pending_round_trips_and_refuses_garbage() -> None:
    pending = Pending("state1", "nonce1", "verifier1", "/admin/feeds")
    assert Pending.decode(pending.encode()) == pending
    for garbage in ("", "a b c", "a b c d e", "  x /"):
        assert Pending.decode(garbage) is None


def testgroups_of_claim_as_list_string_or_missing() -> None:
    assert groups_of({"groups": ["b", "a", "a"]}, "groups") == ["a", "b"]
    assert groups_of({"roles": "ops"}, "roles") == ["ops"]
    assert groups_of({}, "groups") == []
    assert groups_of({"groups": {"not": "a list"}}, "groups") == []
