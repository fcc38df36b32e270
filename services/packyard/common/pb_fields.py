"""Copy the fields of the same name between protobuf messages and Python records.

Most conversions at the gRPC edges copy fields one for one; ``to_pb`` and ``from_pb`` do that
copying, so a converter names only the fields that need more than a copy: a field named
differently, an enum, a nested message. A record is a dataclass or a pydantic model.

The rules, the same both ways: a ``Timestamp`` is an aware ``datetime`` (a naive one is UTC; an
unset one is None), a repeated field is a tuple, a field missing on one side is not copied. An
enum is never copied by number, because the two sides number theirs differently: a converter
that meets one without mapping it raises ``TypeError`` (as does a nested message or a map).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

M = TypeVar("M", bound=Message)
R = TypeVar("R")

_TIMESTAMP = Timestamp.DESCRIPTOR.full_name
# A FieldDescriptor: the C (upb) one or the pure-Python one, whichever protobuf runs.
Field = Any


def timestamp_to_pb(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value if value.tzinfo else value.replace(tzinfo=UTC))
    return stamp


def to_pb(message_type: type[M], record: Any, **overrides: Any) -> M:
    """``message_type`` with the fields ``record`` shares with it, then ``overrides``."""
    fields = message_type.DESCRIPTOR.fields_by_name
    copied = {
        name: _value_to_pb(fields[name], getattr(record, name))
        for name in _field_names(type(record))
        if name in fields and name not in overrides
    }
    set_fields = {name: value for name, value in copied.items() if value is not None}
    return message_type(**set_fields, **overrides)


def from_pb(record_type: type[R], message: Message, **overrides: Any) -> R:
    """``record_type`` with the fields ``message`` shares with it, then ``overrides``."""
    fields = message.DESCRIPTOR.fields_by_name
    copied = {
        name: _value_from_pb(message, fields[name])
        for name in _field_names(record_type)
        if name in fields and name not in overrides
    }
    return record_type(**copied, **overrides)


def _field_names(record_type: type) -> Iterable[str]:
    if dataclasses.is_dataclass(record_type):
        return [field.name for field in dataclasses.fields(record_type)]
    return record_type.model_fields  # type: ignore[attr-defined, no-any-return]  # pydantic


def _value_to_pb(field: Field, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_ENUM:
        raise TypeError(f"{field.name}: an enum must be mapped, not copied")
    if isinstance(value, datetime):
        return timestamp_to_pb(value)
    return value


def _value_from_pb(message: Message, field: Field) -> Any:
    value = getattr(message, field.name)
    if field.type == FieldDescriptor.TYPE_ENUM:
        raise TypeError(f"{field.name}: an enum must be mapped, not copied")
    if field.message_type is None:
        return tuple(value) if field.is_repeated else value
    if field.message_type.full_name == _TIMESTAMP and not field.is_repeated:
        return value.ToDatetime(tzinfo=UTC) if message.HasField(field.name) else None
    raise TypeError(f"{field.name}: a nested message must be converted, not copied")
