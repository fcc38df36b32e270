"""The reconciler's bookkeeping: which feeds missed a change event."""

from __future__ import annotations

from packyard.gateway.change_reconcile import SerialLedger


def test_a_serial_no_event_brought_marks_its_feed_one_round_later() -> None:
    ledger = SerialLedger()
    assert ledger.check({"main": 4, "other": 2}) == []  # first round: the starting point
    ledger.seen("main", 5)
    # Serial 6 of main and 3 of other are fresh: their events may still be on their way.
    assert ledger.check({"main": 6, "other": 3}) == []
    ledger.seen("other", 3)  # main's 6 never comes
    assert ledger.check({"main": 6, "other": 3}) == ["main"]
    # Settled: the same serials do not mark the feed again.
    assert ledger.check({"main": 6, "other": 3}) == []


def test_a_later_event_does_not_hide_an_earlier_lost_one() -> None:
    ledger = SerialLedger()
    ledger.check({"main": 1})
    ledger.seen("main", 3)  # 2 is lost, 3 arrives
    ledger.check({"main": 3})
    assert ledger.check({"main": 3}) == ["main"]


def test_a_new_feed_counts_from_its_first_serial_and_reset_starts_over() -> None:
    ledger = SerialLedger()
    ledger.check({})
    ledger.check({"new": 2})
    ledger.seen("new", 2)
    assert ledger.check({"new": 2}) == ["new"]  # serial 1 never came
    ledger.reset()
    assert ledger.check({"new": 9}) == []
    assert ledger.check({"new": 9}) == []
