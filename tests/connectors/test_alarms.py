"""The one deadline thread: alarms go off in time order, a cancelled one never does, a later-set earlier alarm is
not kept waiting behind an earlier-set later one, and thousands of calls start no thread each."""

from __future__ import annotations

import threading
import time

from cannasync.connectors.alarms import Alarms


def test_alarms_go_off_in_time_order_and_a_cancelled_one_never():
    alarms = Alarms()
    fired: list[str] = []
    done = threading.Event()
    alarms.after(0.30, lambda: (fired.append("late"), done.set()))
    alarms.after(0.10, lambda: fired.append("early"))
    alarms.after(0.20, lambda: fired.append("cancelled")).cancel()
    alarms.after(-1, lambda: fired.append("overdue"))
    assert done.wait(5)
    assert fired == ["overdue", "early", "late"]


def test_an_earlier_alarm_set_later_wakes_the_thread():
    alarms = Alarms()
    alarms.after(60, lambda: None)  # the thread now sleeps a minute
    went_off = threading.Event()
    started = time.monotonic()
    alarms.after(0.05, went_off.set)
    assert went_off.wait(5)
    assert time.monotonic() - started < 2


def test_a_failing_alarm_does_not_stop_the_others():
    alarms = Alarms()
    went_off = threading.Event()

    def explode() -> None:
        raise RuntimeError("a broken action")

    alarms.after(0.01, explode)
    alarms.after(0.05, went_off.set)
    assert went_off.wait(5)


def test_many_deadlines_share_one_thread():
    alarms = Alarms()
    before = threading.active_count()
    handles = [alarms.after(30, lambda: None) for _ in range(2000)]
    for handle in handles:
        handle.cancel()
    assert threading.active_count() <= before + 1
