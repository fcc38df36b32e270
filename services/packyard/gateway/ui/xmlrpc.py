"""XML-RPC ``search`` at /pypi/FEED/ (and /pypi/FEED/RPC2), so
``pip search --index http://HOST/pypi/FEED/ QUERY`` answers from that feed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from packyard_rpc.v1 import catalog_pb2

from packyard.gateway.deps import AuthDep, BackendsDep
from packyard.gateway.ui.xmlrpc_codec import (
    FAULT_NO_METHOD,
    MAX_REQUEST_BYTES,
    SearchHit,
    XmlRpcFault,
    fault_response,
    parse_call,
    search_query,
    search_response,
)

router = APIRouter()

XML_TYPE = "text/xml; charset=utf-8"
SEARCH_LIMIT = 100


async def _body(request: Request) -> bytes:
    """At most MAX_REQUEST_BYTES + 1 bytes: enough to tell a too-large request."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            break
    return b"".join(chunks)


@router.post("/pypi/{feed}/", tags=["xml-rpc"], summary="XML-RPC search (pip search)")
@router.post("/pypi/{feed}/RPC2", include_in_schema=False)
async def xmlrpc(feed: str, request: Request, backends: BackendsDep, auth: AuthDep) -> Response:
    await auth.readable_feed(request, feed)
    try:
        method, params = parse_call(await _body(request))
        if method != "search":
            raise XmlRpcFault(FAULT_NO_METHOD, f"Method '{method}' is not supported.")
        query = search_query(params)
    except XmlRpcFault as fault:
        return Response(fault_response(fault), media_type=XML_TYPE)
    reply = await backends.catalog.search(
        catalog_pb2.SearchRequest(query=query, feeds=[feed], limit=SEARCH_LIMIT)
    )
    hits = [
        SearchHit(p.display_name or p.name, p.latest_version, p.summary) for p in reply.projects
    ]
    return Response(search_response(hits), media_type=XML_TYPE)
