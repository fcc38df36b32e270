"""A failed engine tool names its cause, not its cleanup."""

from __future__ import annotations

from packyard.engines.postgres import tool_failure_reason

INITDB_FAILED = """\
The files belonging to this database system will be owned by user "embedded_postgres".
creating configuration files ... ok
running bootstrap script ... 2026-12-05 12:40:01 UTC [81] FATAL:  could not create shared \
memory segment: No space left on device
child process exited with exit code 1
initdb: removing contents of data directory "/tmp/up/postgres/pgdata"
initdb: error: failed to remove contents of data directory
"""


def test_initdb_failing_in_its_bootstrap_is_reported_by_the_servers_fatal_line() -> None:
    reason = tool_failure_reason(INITDB_FAILED.splitlines())
    assert reason.endswith(
        "FATAL:  could not create shared memory segment: No space left on device"
    )


def test_without_a_fatal_line_the_first_error_line_then_the_last_line() -> None:
    lines = ["initdb: error: directory exists but is not empty", "initdb: error: later"]
    assert tool_failure_reason(lines) == "initdb: error: directory exists but is not empty"
    # The server's own ERROR lines (single-user mode) count as error lines too.
    single_user = ["backend> ", 'ERROR:  role "x" does not exist', "backend> "]
    assert tool_failure_reason(single_user) == 'ERROR:  role "x" does not exist'
    assert tool_failure_reason(["", "something went wrong", " "]) == "something went wrong"
    assert tool_failure_reason([]) == "(no output)"
