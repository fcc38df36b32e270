"""LDAP sign-in: bind as the user, then read the user's groups.

The user's DN comes from a template (``PACKYARD_LDAP_USER_DN``), the name escaped for a DN;
a successful simple bind proves the password. Groups are the ``cn`` of entries under
``PACKYARD_LDAP_GROUP_BASE`` naming the user as ``member`` (groupOfNames) or ``memberUid``
(posixGroup), read with the user's own bind. Blocking (ldap3): callers run it in a thread.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from packyard.gateway.auth.sign_in_settings import SignInSettings

log = logging.getLogger(__name__)

MAX_GROUPS = 200


@dataclass(frozen=True)
class DirectoryUser:
    name: str
    groups: list[str]


def user_dn(template: str, username: str) -> str:
    return template.replace("{username}", escape_rdn(username))


def group_filter(dn: str, username: str) -> str:
    return (
        f"(|(member={escape_filter_chars(dn)})(uniqueMember={escape_filter_chars(dn)})"
        f"(memberUid={escape_filter_chars(username)}))"
    )


def _canonical_name(connection: ldap3.Connection, dn: str, typed: str) -> str:
    """The entry's own uid: LDAP matches names without regard to case, and "Ada" and "ada"
    must be one person in the audit log."""
    connection.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=["uid"])
    if connection.entries and "uid" in connection.entries[0]:
        values = connection.entries[0].uid.values
        if values:
            return str(values[0])
    return typed


def authenticate(settings: SignInSettings, username: str, password: str) -> DirectoryUser | None:
    """The directory user if the bind succeeds; None for a wrong name or password. A directory
    that cannot be reached is logged and counts as a failed sign-in."""
    if not settings.ldap_url or not settings.ldap_user_dn or not password:
        return None
    dn = user_dn(settings.ldap_user_dn, username)
    # ldap3 packs the receive timeout into a socket option: whole seconds only.
    timeout = max(1, math.ceil(settings.ldap_timeout))
    server = ldap3.Server(settings.ldap_url, connect_timeout=timeout)
    connection = ldap3.Connection(server, user=dn, password=password, receive_timeout=timeout)
    try:
        if not connection.bind():
            return None
        name = _canonical_name(connection, dn, username)
        groups: list[str] = []
        if settings.ldap_group_base:
            connection.search(
                settings.ldap_group_base,
                group_filter(dn, username),
                attributes=["cn"],
                size_limit=MAX_GROUPS,
            )
            for entry in connection.entries:
                groups.extend(str(value) for value in entry.cn.values)
        return DirectoryUser(name=name, groups=sorted(set(groups)))
    except LDAPException as exc:
        log.warning("ldap.sign_in_failed", extra={"error": str(exc)})
        return None
    finally:
        connection.unbind()
