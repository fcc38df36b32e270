import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from packyard_rpc.v1 import common_pb2 as _common_pb2
from packyard_rpc.v1 import surface_pb2 as _surface_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PromoteReleaseRequest(_message.Message):
    __slots__ = ("source_feed", "target_feed", "project", "version", "force")
    SOURCE_FEED_FIELD_NUMBER: _ClassVar[int]
    TARGET_FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    source_feed: str
    target_feed: str
    project: str
    version: str
    force: bool
    def __init__(self, source_feed: _Optional[str] = ..., target_feed: _Optional[str] = ..., project: _Optional[str] = ..., version: _Optional[str] = ..., force: _Optional[bool] = ...) -> None: ...

class PromoteReleaseResponse(_message.Message):
    __slots__ = ("files", "promoted")
    FILES_FIELD_NUMBER: _ClassVar[int]
    PROMOTED_FIELD_NUMBER: _ClassVar[int]
    files: _containers.RepeatedCompositeFieldContainer[_common_pb2.FileInfo]
    promoted: bool
    def __init__(self, files: _Optional[_Iterable[_Union[_common_pb2.FileInfo, _Mapping]]] = ..., promoted: _Optional[bool] = ...) -> None: ...

class PromotionPolicy(_message.Message):
    __slots__ = ("feed", "allowed_sources", "require_promote_right")
    FEED_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_SOURCES_FIELD_NUMBER: _ClassVar[int]
    REQUIRE_PROMOTE_RIGHT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    allowed_sources: _containers.RepeatedScalarFieldContainer[str]
    require_promote_right: bool
    def __init__(self, feed: _Optional[str] = ..., allowed_sources: _Optional[_Iterable[str]] = ..., require_promote_right: _Optional[bool] = ...) -> None: ...

class GetPromotionPolicyRequest(_message.Message):
    __slots__ = ("feed",)
    FEED_FIELD_NUMBER: _ClassVar[int]
    feed: str
    def __init__(self, feed: _Optional[str] = ...) -> None: ...

class GetPromotionPolicyResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: PromotionPolicy
    def __init__(self, policy: _Optional[_Union[PromotionPolicy, _Mapping]] = ...) -> None: ...

class SetPromotionPolicyRequest(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: PromotionPolicy
    def __init__(self, policy: _Optional[_Union[PromotionPolicy, _Mapping]] = ...) -> None: ...

class SetPromotionPolicyResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: PromotionPolicy
    def __init__(self, policy: _Optional[_Union[PromotionPolicy, _Mapping]] = ...) -> None: ...

class Promotion(_message.Message):
    __slots__ = ("source_feed", "target_feed", "project", "version", "actor", "files", "created")
    SOURCE_FEED_FIELD_NUMBER: _ClassVar[int]
    TARGET_FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    source_feed: str
    target_feed: str
    project: str
    version: str
    actor: str
    files: int
    created: _timestamp_pb2.Timestamp
    def __init__(self, source_feed: _Optional[str] = ..., target_feed: _Optional[str] = ..., project: _Optional[str] = ..., version: _Optional[str] = ..., actor: _Optional[str] = ..., files: _Optional[int] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListPromotionsRequest(_message.Message):
    __slots__ = ("feed", "limit")
    FEED_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    limit: int
    def __init__(self, feed: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListPromotionsResponse(_message.Message):
    __slots__ = ("promotions",)
    PROMOTIONS_FIELD_NUMBER: _ClassVar[int]
    promotions: _containers.RepeatedCompositeFieldContainer[Promotion]
    def __init__(self, promotions: _Optional[_Iterable[_Union[Promotion, _Mapping]]] = ...) -> None: ...

class Webhook(_message.Message):
    __slots__ = ("id", "feed", "url", "events", "created")
    ID_FIELD_NUMBER: _ClassVar[int]
    FEED_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    id: int
    feed: str
    url: str
    events: _containers.RepeatedScalarFieldContainer[str]
    created: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., feed: _Optional[str] = ..., url: _Optional[str] = ..., events: _Optional[_Iterable[str]] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateWebhookRequest(_message.Message):
    __slots__ = ("webhook", "secret")
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    webhook: Webhook
    secret: str
    def __init__(self, webhook: _Optional[_Union[Webhook, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class CreateWebhookResponse(_message.Message):
    __slots__ = ("webhook",)
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    webhook: Webhook
    def __init__(self, webhook: _Optional[_Union[Webhook, _Mapping]] = ...) -> None: ...

class ListWebhooksRequest(_message.Message):
    __slots__ = ("feed",)
    FEED_FIELD_NUMBER: _ClassVar[int]
    feed: str
    def __init__(self, feed: _Optional[str] = ...) -> None: ...

class ListWebhooksResponse(_message.Message):
    __slots__ = ("webhooks",)
    WEBHOOKS_FIELD_NUMBER: _ClassVar[int]
    webhooks: _containers.RepeatedCompositeFieldContainer[Webhook]
    def __init__(self, webhooks: _Optional[_Iterable[_Union[Webhook, _Mapping]]] = ...) -> None: ...

class DeleteWebhookRequest(_message.Message):
    __slots__ = ("feed", "id")
    FEED_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    feed: str
    id: int
    def __init__(self, feed: _Optional[str] = ..., id: _Optional[int] = ...) -> None: ...

class DeleteWebhookResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WebhookDelivery(_message.Message):
    __slots__ = ("id", "webhook_id", "event", "status", "attempts", "response_status", "last_error", "created", "delivered", "payload")
    ID_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_STATUS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    id: int
    webhook_id: int
    event: str
    status: str
    attempts: int
    response_status: int
    last_error: str
    created: _timestamp_pb2.Timestamp
    delivered: _timestamp_pb2.Timestamp
    payload: str
    def __init__(self, id: _Optional[int] = ..., webhook_id: _Optional[int] = ..., event: _Optional[str] = ..., status: _Optional[str] = ..., attempts: _Optional[int] = ..., response_status: _Optional[int] = ..., last_error: _Optional[str] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivered: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., payload: _Optional[str] = ...) -> None: ...

class ListWebhookDeliveriesRequest(_message.Message):
    __slots__ = ("feed", "limit")
    FEED_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    limit: int
    def __init__(self, feed: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListWebhookDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries",)
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[WebhookDelivery]
    def __init__(self, deliveries: _Optional[_Iterable[_Union[WebhookDelivery, _Mapping]]] = ...) -> None: ...

class RetentionRules(_message.Message):
    __slots__ = ("feed", "keep_latest", "prerelease_max_age_days", "cached_max_age_days", "quota_bytes")
    FEED_FIELD_NUMBER: _ClassVar[int]
    KEEP_LATEST_FIELD_NUMBER: _ClassVar[int]
    PRERELEASE_MAX_AGE_DAYS_FIELD_NUMBER: _ClassVar[int]
    CACHED_MAX_AGE_DAYS_FIELD_NUMBER: _ClassVar[int]
    QUOTA_BYTES_FIELD_NUMBER: _ClassVar[int]
    feed: str
    keep_latest: int
    prerelease_max_age_days: int
    cached_max_age_days: int
    quota_bytes: int
    def __init__(self, feed: _Optional[str] = ..., keep_latest: _Optional[int] = ..., prerelease_max_age_days: _Optional[int] = ..., cached_max_age_days: _Optional[int] = ..., quota_bytes: _Optional[int] = ...) -> None: ...

class GetRetentionRulesRequest(_message.Message):
    __slots__ = ("feed",)
    FEED_FIELD_NUMBER: _ClassVar[int]
    feed: str
    def __init__(self, feed: _Optional[str] = ...) -> None: ...

class GetRetentionRulesResponse(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: RetentionRules
    def __init__(self, rules: _Optional[_Union[RetentionRules, _Mapping]] = ...) -> None: ...

class SetRetentionRulesRequest(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: RetentionRules
    def __init__(self, rules: _Optional[_Union[RetentionRules, _Mapping]] = ...) -> None: ...

class SetRetentionRulesResponse(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: RetentionRules
    def __init__(self, rules: _Optional[_Union[RetentionRules, _Mapping]] = ...) -> None: ...

class RunRetentionRequest(_message.Message):
    __slots__ = ("feed", "dry_run", "include_promoted")
    FEED_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_PROMOTED_FIELD_NUMBER: _ClassVar[int]
    feed: str
    dry_run: bool
    include_promoted: bool
    def __init__(self, feed: _Optional[str] = ..., dry_run: _Optional[bool] = ..., include_promoted: _Optional[bool] = ...) -> None: ...

class RetentionRemoval(_message.Message):
    __slots__ = ("project", "version", "filenames", "bytes", "reason")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    FILENAMES_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    project: str
    version: str
    filenames: _containers.RepeatedScalarFieldContainer[str]
    bytes: int
    reason: str
    def __init__(self, project: _Optional[str] = ..., version: _Optional[str] = ..., filenames: _Optional[_Iterable[str]] = ..., bytes: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class RunRetentionResponse(_message.Message):
    __slots__ = ("removals", "bytes", "dry_run")
    REMOVALS_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    removals: _containers.RepeatedCompositeFieldContainer[RetentionRemoval]
    bytes: int
    dry_run: bool
    def __init__(self, removals: _Optional[_Iterable[_Union[RetentionRemoval, _Mapping]]] = ..., bytes: _Optional[int] = ..., dry_run: _Optional[bool] = ...) -> None: ...
