"""GovernanceService (in the metadata process): promotion between feeds and its policies."""

from __future__ import annotations

from packyard_rpc.v1 import governance_pb2 as pb
from packyard_rpc.v1 import governance_pb2_grpc

from packyard.gateway.clients.calls import Client, Unary


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


class RetentionClient(Client, stub=governance_pb2_grpc.RetentionServiceStub):
    """The admin API's retention rules and runs."""

    sends_principal = True

    get_retention_rules = Unary[pb.GetRetentionRulesRequest, pb.GetRetentionRulesResponse]()
    set_retention_rules = Unary[pb.SetRetentionRulesRequest, pb.SetRetentionRulesResponse]()
    # A run over a large feed may take a while: it decides and removes in one transaction.
    run_retention = Unary[pb.RunRetentionRequest, pb.RunRetentionResponse](min_timeout=300.0)
