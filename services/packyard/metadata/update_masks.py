"""Which fields an Update* request changes: the released ``repeated string update_mask`` or
the ``google.protobuf.FieldMask field_mask`` added next to it (a field's type cannot change
in v1, so both are accepted). The domain service refuses unknown paths."""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf.field_mask_pb2 import FieldMask

from packyard.common.errors import InvalidArgument


def update_paths(update_mask: Sequence[str], field_mask: FieldMask | None) -> list[str]:
    """The field names to change; ``field_mask`` is None when the request does not set it."""
    if field_mask is None:
        return list(update_mask)
    if update_mask:
        raise InvalidArgument("Name the fields in update_mask or in field_mask, not in both.")
    return list(field_mask.paths)
