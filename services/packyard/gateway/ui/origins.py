"""Where a feed's project comes from, as the UI and its JSON say it: "hosted" (uploaded here)
or "upstream" (served through a connector)."""

from __future__ import annotations

from packyard_rpc.v1 import common_pb2

from packyard.common.errors import InvalidArgument

ORIGIN_TEXT: dict[int, str] = {
    common_pb2.ORIGIN_HOSTED: "hosted",
    common_pb2.ORIGIN_UPSTREAM: "upstream",
}
# The UI's filter links, in order: (query value, label).
ORIGIN_FILTERS = (("", "all"), ("hosted", "hosted"), ("upstream", "upstream"))
ORIGIN_FILTER_VALUES = frozenset(value for value, _ in ORIGIN_FILTERS)


def origin_filter(value: str) -> common_pb2.Origin:
    """The origin a listing is filtered by: "" (both), "hosted" or "upstream"."""
    if not value:
        return common_pb2.ORIGIN_UNSPECIFIED
    match value.strip().lower():
        case "hosted":
            return common_pb2.ORIGIN_HOSTED
        case "upstream":
            return common_pb2.ORIGIN_UPSTREAM
    raise InvalidArgument("origin must be 'hosted' or 'upstream'.")


def origin_text(origin: int) -> str:
    """A CatalogProject's origin as the UI shows it (templates: ``|origin``)."""
    return ORIGIN_TEXT.get(origin, "hosted")
