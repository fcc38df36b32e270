"""The slice of PyPI's XML-RPC API that ``pip search`` uses: ``search(spec, operator)``.

Pure: bytes in, bytes out. Requests are small and come from anyone, so they are bounded and
may not declare a DTD (no entity expansion at all).
"""

from __future__ import annotations

import xmlrpc.client
from dataclasses import dataclass
from typing import Any

MAX_REQUEST_BYTES = 64 * 1024
# PyPI's fault codes are not documented; clients show faultString.
FAULT_BAD_REQUEST = 1
FAULT_NO_METHOD = 2


class XmlRpcFault(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SearchHit:
    name: str
    version: str
    summary: str


def parse_call(body: bytes) -> tuple[str, tuple[Any, ...]]:
    """(method name, params) of an XML-RPC call."""
    if len(body) > MAX_REQUEST_BYTES:
        raise XmlRpcFault(FAULT_BAD_REQUEST, "Request too large.")
    if b"<!" in body:
        raise XmlRpcFault(FAULT_BAD_REQUEST, "Declarations are not accepted.")
    try:
        params, method = xmlrpc.client.loads(body, use_builtin_types=True)
    except Exception as exc:  # expat and xmlrpc raise several unrelated types
        raise XmlRpcFault(FAULT_BAD_REQUEST, "Malformed XML-RPC request.") from exc
    if not method:
        raise XmlRpcFault(FAULT_BAD_REQUEST, "Not a method call.")
    return method, params


def search_query(params: tuple[Any, ...]) -> str:
    """The text of ``search(spec[, operator])``: every term of the spec, each once.

    pip sends {"name": [q], "summary": [q]} with "or"; the catalog ranks name and summary
    matches itself, so the terms are searched as one query whatever the operator.
    """
    if not params or not isinstance(params[0], dict):
        raise XmlRpcFault(FAULT_BAD_REQUEST, "search takes a dict of field: terms.")
    terms: list[str] = []
    for value in params[0].values():
        values = value if isinstance(value, list | tuple) else [value]
        for term in values:
            text = str(term).strip()
            if text and text not in terms:
                terms.append(text)
    return " ".join(terms)


def search_response(hits: list[SearchHit]) -> bytes:
    result = [
        {"name": h.name, "version": h.version, "summary": h.summary, "_pypi_ordering": i}
        for i, h in enumerate(hits)
    ]
    return xmlrpc.client.dumps((result,), methodresponse=True, allow_none=False).encode("utf-8")


def fault_response(fault: XmlRpcFault) -> bytes:
    return xmlrpc.client.dumps(xmlrpc.client.Fault(fault.code, fault.message)).encode("utf-8")
