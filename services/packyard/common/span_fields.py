"""The Packyard fields a span carries (feed, project, filename), read off a protobuf message.

Its own module, imported by the telemetry setup and by the interceptors it installs
(grpc_tracing, metrics) alike, so that none of them has to import another lazily.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace

# Request fields copied onto gRPC spans. Only these names: a request may carry an API key.
SPAN_FIELDS = ("feed", "project", "filename")
# Sub-messages searched for those fields too (RegisterFileRequest.file is a FileInfo).
SPAN_NESTED = ("file",)


def set_span_fields(span: trace.Span, message: Any) -> None:
    """Copy the non-empty ``feed``/``project``/``filename`` string fields of a protobuf
    message (and of its ``file`` sub-message) onto ``span`` as ``packyard.<field>``."""
    descriptor = getattr(message, "DESCRIPTOR", None)
    if descriptor is None or not span.is_recording():
        return
    for field in SPAN_FIELDS:
        if field in descriptor.fields_by_name:
            value = getattr(message, field, "")
            if isinstance(value, str) and value:
                span.set_attribute(f"packyard.{field}", value)
    for nested in SPAN_NESTED:
        if nested in descriptor.fields_by_name and message.HasField(nested):
            set_span_fields(span, getattr(message, nested))
