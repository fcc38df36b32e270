"""GovernanceService (in the metadata process): promotion between feeds and its policies."""

from __future__ import annotations

from packyard.gateway.clients.calls import Client, Unary
from packyard.rpc.v1 import governance_pb2 as pb
from packyard.rpc.v1 import governance_pb2_grpc


class GovernanceClient(Client, stub=governance_pb2_grpc.GovernanceServiceStub):
    """The admin API's and the web UI's promotions, and the feeds' promotion policies."""

    sends_principal = True

    promote_release = Unary[pb.PromoteReleaseRequest, pb.PromoteReleaseResponse]()
    get_promotion_policy = Unary[pb.GetPromotionPolicyRequest, pb.GetPromotionPolicyResponse]()
    set_promotion_policy = Unary[pb.SetPromotionPolicyRequest, pb.SetPromotionPolicyResponse]()
    list_promotions = Unary[pb.ListPromotionsRequest, pb.ListPromotionsResponse]()


class WebhookClient(Client, stub=governance_pb2_grpc.WebhookServiceStub):
    """The admin API's webhooks and their deliveries."""

    sends_principal = True

    create_webhook = Unary[pb.CreateWebhookRequest, pb.CreateWebhookResponse]()
    list_webhooks = Unary[pb.ListWebhooksRequest, pb.ListWebhooksResponse]()
    delete_webhook = Unary[pb.DeleteWebhookRequest, pb.DeleteWebhookResponse]()
    list_webhook_deliveries = Unary[
        pb.ListWebhookDeliveriesRequest, pb.ListWebhookDeliveriesResponse
    ]()
