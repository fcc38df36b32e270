"""The gateway's client layer: one typed client per gRPC service it calls.

Every call goes through ``calls.py``, which turns a failed RPC into the domain error of
``common/errors.py``; nothing else in the gateway sees a gRPC status.
"""
