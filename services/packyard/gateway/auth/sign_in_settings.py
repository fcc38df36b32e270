"""Settings of sign-in to the web UI: session lifetimes and the directories people sign in with.

Read from the environment when a sign-in happens (not per page), so they need no wiring.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SignInSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PACKYARD_", extra="ignore")

    # PACKYARD_SESSION_IDLE: seconds a session may go unused before it ends.
    # PACKYARD_SESSION_LIFETIME: seconds after sign-in it ends however it is used.
    session_idle: int = Field(default=3600, gt=0, le=30 * 24 * 3600)
    session_lifetime: int = Field(default=12 * 3600, gt=0, le=30 * 24 * 3600)
    # PACKYARD_LDAP_URL: ldap://host:port or ldaps://…; "" = no LDAP sign-in.
    ldap_url: str = ""
    # PACKYARD_LDAP_USER_DN: the DN a user binds as, "{username}" replaced by the escaped name,
    # e.g. "uid={username},ou=people,dc=example,dc=org".
    ldap_user_dn: str = ""
    # PACKYARD_LDAP_GROUP_BASE: where groups are searched (groupOfNames with member=<user DN>,
    # or posixGroup with memberUid=<name>); the group's cn is its name in Packyard.
    ldap_group_base: str = ""
    # PACKYARD_LDAP_ADMIN_GROUPS: comma-separated groups whose members are administrators.
    ldap_admin_groups: str = ""
    # PACKYARD_LDAP_TIMEOUT: seconds to connect and for each LDAP operation.
    ldap_timeout: float = Field(default=5.0, gt=0)

    # PACKYARD_OIDC_ISSUER: the OpenID provider (its /.well-known/openid-configuration);
    # "" = no OpenID Connect sign-in. PACKYARD_OIDC_CLIENT_ID / PACKYARD_OIDC_CLIENT_SECRET:
    # this site's registration there (redirect URI: <site>/login/oidc/callback).
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    # PACKYARD_OIDC_GROUPS_CLAIM: the ID token claim listing the user's groups.
    # PACKYARD_OIDC_ADMIN_GROUPS: comma-separated groups whose members are administrators.
    oidc_groups_claim: str = "groups"
    oidc_admin_groups: str = ""

    @property
    def admin_groups(self) -> frozenset[str]:
        return _groups(self.ldap_admin_groups)

    @property
    def oidc_admins(self) -> frozenset[str]:
        return _groups(self.oidc_admin_groups)


def _groups(setting: str) -> frozenset[str]:
    return frozenset(g.strip() for g in setting.split(",") if g.strip())
