"""ChangeService (in the metadata process): the feeds' change serials the reconciler compares."""

from __future__ import annotations

from packyard_rpc.v1 import events_pb2 as pb
from packyard_rpc.v1 import events_pb2_grpc

from packyard.gateway.clients.calls import Client, Unary


class ChangeClient(Client, stub=events_pb2_grpc.ChangeServiceStub):
    get_change_serials = Unary[pb.GetChangeSerialsRequest, pb.GetChangeSerialsResponse]()

    async def serials(self) -> dict[str, int]:
        """Each feed's change serial."""
        reply = await self.get_change_serials(pb.GetChangeSerialsRequest())
        return dict(reply.feeds)
