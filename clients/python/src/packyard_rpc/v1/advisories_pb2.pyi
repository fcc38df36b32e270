import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PolicyAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POLICY_ACTION_UNSPECIFIED: _ClassVar[PolicyAction]
    POLICY_ACTION_IGNORE: _ClassVar[PolicyAction]
    POLICY_ACTION_WARN: _ClassVar[PolicyAction]
    POLICY_ACTION_BLOCK: _ClassVar[PolicyAction]
POLICY_ACTION_UNSPECIFIED: PolicyAction
POLICY_ACTION_IGNORE: PolicyAction
POLICY_ACTION_WARN: PolicyAction
POLICY_ACTION_BLOCK: PolicyAction

class SupplyPolicy(_message.Message):
    __slots__ = ("feed", "vulnerabilities", "licenses", "license_allow", "license_deny", "unknown_license", "provenance_publishers")
    FEED_FIELD_NUMBER: _ClassVar[int]
    VULNERABILITIES_FIELD_NUMBER: _ClassVar[int]
    LICENSES_FIELD_NUMBER: _ClassVar[int]
    LICENSE_ALLOW_FIELD_NUMBER: _ClassVar[int]
    LICENSE_DENY_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_LICENSE_FIELD_NUMBER: _ClassVar[int]
    PROVENANCE_PUBLISHERS_FIELD_NUMBER: _ClassVar[int]
    feed: str
    vulnerabilities: PolicyAction
    licenses: PolicyAction
    license_allow: _containers.RepeatedScalarFieldContainer[str]
    license_deny: _containers.RepeatedScalarFieldContainer[str]
    unknown_license: PolicyAction
    provenance_publishers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, feed: _Optional[str] = ..., vulnerabilities: _Optional[_Union[PolicyAction, str]] = ..., licenses: _Optional[_Union[PolicyAction, str]] = ..., license_allow: _Optional[_Iterable[str]] = ..., license_deny: _Optional[_Iterable[str]] = ..., unknown_license: _Optional[_Union[PolicyAction, str]] = ..., provenance_publishers: _Optional[_Iterable[str]] = ...) -> None: ...

class ImportAdvisoriesRequest(_message.Message):
    __slots__ = ("source", "records", "last", "etag")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    source: str
    records: _containers.RepeatedScalarFieldContainer[bytes]
    last: bool
    etag: str
    def __init__(self, source: _Optional[str] = ..., records: _Optional[_Iterable[bytes]] = ..., last: _Optional[bool] = ..., etag: _Optional[str] = ...) -> None: ...

class ImportAdvisoriesResponse(_message.Message):
    __slots__ = ("stored", "skipped")
    STORED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    stored: int
    skipped: int
    def __init__(self, stored: _Optional[int] = ..., skipped: _Optional[int] = ...) -> None: ...

class GetAdvisorySourceRequest(_message.Message):
    __slots__ = ("source",)
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    source: str
    def __init__(self, source: _Optional[str] = ...) -> None: ...

class GetAdvisorySourceResponse(_message.Message):
    __slots__ = ("etag", "imported")
    ETAG_FIELD_NUMBER: _ClassVar[int]
    IMPORTED_FIELD_NUMBER: _ClassVar[int]
    etag: str
    imported: _timestamp_pb2.Timestamp
    def __init__(self, etag: _Optional[str] = ..., imported: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Vulnerability(_message.Message):
    __slots__ = ("id", "aliases", "summary", "details", "link", "fixed_in", "excepted")
    ID_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    FIXED_IN_FIELD_NUMBER: _ClassVar[int]
    EXCEPTED_FIELD_NUMBER: _ClassVar[int]
    id: str
    aliases: _containers.RepeatedScalarFieldContainer[str]
    summary: str
    details: str
    link: str
    fixed_in: _containers.RepeatedScalarFieldContainer[str]
    excepted: bool
    def __init__(self, id: _Optional[str] = ..., aliases: _Optional[_Iterable[str]] = ..., summary: _Optional[str] = ..., details: _Optional[str] = ..., link: _Optional[str] = ..., fixed_in: _Optional[_Iterable[str]] = ..., excepted: _Optional[bool] = ...) -> None: ...

class VersionVulnerabilities(_message.Message):
    __slots__ = ("version", "vulnerabilities")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    VULNERABILITIES_FIELD_NUMBER: _ClassVar[int]
    version: str
    vulnerabilities: _containers.RepeatedCompositeFieldContainer[Vulnerability]
    def __init__(self, version: _Optional[str] = ..., vulnerabilities: _Optional[_Iterable[_Union[Vulnerability, _Mapping]]] = ...) -> None: ...

class CheckProjectRequest(_message.Message):
    __slots__ = ("feed", "project", "versions")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    versions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ..., versions: _Optional[_Iterable[str]] = ...) -> None: ...

class CheckProjectResponse(_message.Message):
    __slots__ = ("policy", "versions")
    POLICY_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    policy: SupplyPolicy
    versions: _containers.RepeatedCompositeFieldContainer[VersionVulnerabilities]
    def __init__(self, policy: _Optional[_Union[SupplyPolicy, _Mapping]] = ..., versions: _Optional[_Iterable[_Union[VersionVulnerabilities, _Mapping]]] = ...) -> None: ...

class GetSupplyPolicyRequest(_message.Message):
    __slots__ = ("feed",)
    FEED_FIELD_NUMBER: _ClassVar[int]
    feed: str
    def __init__(self, feed: _Optional[str] = ...) -> None: ...

class GetSupplyPolicyResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: SupplyPolicy
    def __init__(self, policy: _Optional[_Union[SupplyPolicy, _Mapping]] = ...) -> None: ...

class SetSupplyPolicyRequest(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: SupplyPolicy
    def __init__(self, policy: _Optional[_Union[SupplyPolicy, _Mapping]] = ...) -> None: ...

class SetSupplyPolicyResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: SupplyPolicy
    def __init__(self, policy: _Optional[_Union[SupplyPolicy, _Mapping]] = ...) -> None: ...

class AddAdvisoryExceptionRequest(_message.Message):
    __slots__ = ("feed", "advisory", "expires", "reason")
    FEED_FIELD_NUMBER: _ClassVar[int]
    ADVISORY_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    feed: str
    advisory: str
    expires: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, feed: _Optional[str] = ..., advisory: _Optional[str] = ..., expires: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class AddAdvisoryExceptionResponse(_message.Message):
    __slots__ = ("advisory",)
    ADVISORY_FIELD_NUMBER: _ClassVar[int]
    advisory: str
    def __init__(self, advisory: _Optional[str] = ...) -> None: ...
