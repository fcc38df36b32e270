"""The public API is written in the protos (option public_method, surface.proto) and enforced
by the identity table (common/rpc_access.py): the two name the same methods."""

from __future__ import annotations

import importlib
import pkgutil

import packyard_rpc.v1
from google.protobuf.descriptor import MethodDescriptor
from packyard.common.rpc_access import CLIENTS, RPC_ACCESS, is_allowed
from packyard_rpc.v1 import surface_pb2


def _methods() -> list[MethodDescriptor]:
    found = []
    for info in pkgutil.iter_modules(packyard_rpc.v1.__path__):
        if info.name.endswith("_pb2"):
            module = importlib.import_module(f"packyard_rpc.v1.{info.name}")
            for service in module.DESCRIPTOR.services_by_name.values():
                found.extend(service.methods)
    return found


def _name(method: MethodDescriptor) -> str:
    return f"/{method.containing_service.full_name}/{method.name}"


def marked_public() -> set[str]:
    return {_name(m) for m in _methods() if m.GetOptions().Extensions[surface_pb2.public_method]}


def test_the_protos_mark_exactly_the_methods_the_table_opens_to_internal_clients() -> None:
    opened = {
        method
        for method, callers in RPC_ACCESS.items()
        if CLIENTS in callers and method.startswith("/packyard.")
    }
    assert marked_public() == opened


def test_the_public_surface_is_the_one_the_issue_names() -> None:
    # Read feeds, projects, files and search; publish, yank, delete; keys within one's rights;
    # promote a release (and read the target's promotion policy).
    assert len(marked_public()) == 18
    assert "/packyard.rpc.v1.GovernanceService/PromoteRelease" in marked_public()
    assert "/packyard.rpc.v1.MetadataService/ListProjects" in marked_public()
    assert "/packyard.rpc.v1.CatalogService/Search" in marked_public()
    assert "/packyard.rpc.v1.AccessService/Authenticate" not in marked_public()


def test_an_unmarked_method_is_closed_to_internal_clients() -> None:
    for method in _methods():
        if _name(method) not in marked_public():
            assert not is_allowed("client:scanner", _name(method)), _name(method)
