"""The digest worker in a child process, supervised by `faultbox serve`.

Python runs one thread at a time per process, so on a small machine a digest
thread and the HTTP edge halve each other's throughput.  `serve` therefore runs
the worker as a child process by default (one command still starts everything);
the child is restarted if it dies and drained on shutdown.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from multiprocessing.process import BaseProcess

from faultbox.config import Settings
from faultbox.runtime import freeze_startup_objects

log = logging.getLogger(__name__)

# The child cannot be woken by the parent's commits, so it polls this often when idle.
IDLE_POLL_SECONDS = 0.05


def worker_main(
    settings: Settings, *, handle_sigint: bool = False, parent_pid: int | None = None
) -> None:
    """Digest until SIGTERM (and SIGINT when run by hand), then drain and exit.

    The entry point of `serve`'s child process and of `faultbox worker`.
    """
    from faultbox.alerts.runner import AlertRunner
    from faultbox.digest.worker import DigestWorker
    from faultbox.observe.collectors import QueueCollector
    from faultbox.observe.exposition import serve_worker_metrics
    from faultbox.observe.logs import setup_logging
    from faultbox.queue import open_queue
    from faultbox.store.db import open_engine

    setup_logging(settings, "worker")
    engine = open_engine(settings.database_url)
    queue = open_queue(settings)
    metrics = serve_worker_metrics(settings, QueueCollector(queue))
    worker = DigestWorker.from_settings(engine, queue, settings, idle_wait=IDLE_POLL_SECONDS)
    alerts = AlertRunner(engine, settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # In serve's child, Ctrl-C reaches the parent, which then decides when we stop.
    signal.signal(signal.SIGINT, (lambda *_: stop.set()) if handle_sigint else signal.SIG_IGN)
    freeze_startup_objects()
    alerts.start()
    worker.start()
    while not stop.wait(0.5):
        if parent_pid is not None and os.getppid() != parent_pid:
            # serve was killed (kill -9 leaves no chance to stop us): stop too, or we
            # would live on as an orphan next to the restarted server's own worker.
            log.warning("parent process exited; stopping the digest worker")
            break
        if not worker.is_alive():
            log.error("digest thread stopped unexpectedly; restarting it")
            worker.start()
    worker.stop()
    alerts.stop()  # after the drain: its last new issues are still fanned out
    if metrics is not None:
        metrics.close()
    queue.close()
    engine.dispose()


class WorkerProcess:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._ctx = multiprocessing.get_context("spawn")
        self._proc: BaseProcess | None = None
        self.restarts = 0

    def start(self) -> None:
        self._proc = self._ctx.Process(
            target=worker_main,
            args=(self.settings,),
            # Passed in, not read in the child: the parent may die before we start.
            kwargs={"parent_pid": os.getpid()},
            name="faultbox-digest",
            daemon=False,
        )
        self._proc.start()

    def is_alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def ensure_running(self) -> None:
        if self._proc is not None and not self._proc.is_alive():
            log.error("digest worker exited with %s; restarting it", self._proc.exitcode)
            self.restarts += 1
            self.start()

    def stop(self, timeout: float = 30.0) -> None:
        if self._proc is None or not self._proc.is_alive():
            return
        self._proc.terminate()  # SIGTERM: the child drains the queue, then exits
        self._proc.join(timeout)
        if self._proc.is_alive():
            log.error("digest worker did not stop within %ss; killing it", timeout)
            self._proc.kill()
            self._proc.join(5)
