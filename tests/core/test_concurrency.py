"""Routing stays correct while other threads refresh the registry and change settings."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import dspex_core as dspex
from dspex_core import registry

from core_test_plugins import BackendPlugin


def test_create_and_execute_during_refreshes_and_contexts():
    registry._extra_plugins["a"] = BackendPlugin("a", ["predict"], native=True, priority=1)
    registry._extra_plugins["b"] = BackendPlugin("b", ["predict"], native=False)
    registry.refresh()
    stop = threading.Event()
    refreshes = []

    def refresher():
        while not stop.is_set():
            registry.refresh()
            refreshes.append(1)

    def worker(i):
        prefer = i % 2 == 0
        with dspex.context(prefer_native=prefer):
            ref = dspex.Predict.create("q -> a")
            assert ref.backend == ("a" if prefer else "b")
            assert ref(q=str(i)).q == str(i)
        return ref.backend

    background = threading.Thread(target=refresher)
    background.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            rounds = 0
            while len(refreshes) < 20 and rounds < 1000:  # until the registry really changed under us
                results = list(pool.map(worker, range(50)))
                assert results == ["a" if i % 2 == 0 else "b" for i in range(50)]
                rounds += 1
    finally:
        stop.set()
        background.join()
    assert len(refreshes) >= 20
