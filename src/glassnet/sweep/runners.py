"""Where a sweep's trials run: one after another here, in worker processes, or as Ray tasks.

Each runner calls ``on_result(row)`` as each trial finishes, in the order they finish, and
on Ctrl-C (KeyboardInterrupt) ends every running trial before letting it go up: the worker
processes are terminated, the Ray tasks cancelled. The trials that had finished were
already handed to ``on_result``; a trial cut short keeps its last finished epoch in its
folder's checkpoint, from which the next run of the same sweep continues it.

Local workers are started with the 'spawn' method (a fresh interpreter: no threads or
numba state copied from this process) and train on one glassnet thread each, so N workers
keep N cores busy and no more. Ray is imported only inside ``run_ray``.
"""
from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from ..i18n import tr
from ..parallel import _available_cores
from .trial import failed_row, init_worker, run_trial

OnResult = Callable[[dict[str, Any]], None]


class RayMissing(ImportError):
    """``--ray`` was asked for but Ray is not installed (the message says how to install it)."""


def default_workers() -> int:
    """Worker processes by default: one per core this process may use."""
    return _available_cores()


def run_serial(tasks: Sequence[Mapping[str, Any]], on_result: OnResult) -> None:
    """Run the trials one after another in this process."""
    for task in tasks:
        on_result({**run_trial(task), "runner": "serial"})


def _end_workers(pool: ProcessPoolExecutor, futures: Sequence[Future]) -> None:
    """Cancel the trials not started and terminate the worker processes running the others."""
    for future in futures:
        future.cancel()
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()


def run_local(tasks: Sequence[Mapping[str, Any]], on_result: OnResult, workers: int) -> None:
    """Run the trials in ``workers`` worker processes ('spawn'), one glassnet thread each."""
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(tasks))), mp_context=context,
                               initializer=init_worker)
    futures: dict[Future, Mapping[str, Any]] = {}
    try:
        futures = {pool.submit(run_trial, task): task for task in tasks}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    row = future.result()
                except Exception as error:  # noqa: BLE001 - the worker died or could not send its result
                    row = failed_row(futures[future], error)
                on_result({**row, "runner": "local"})
    except BaseException:
        _end_workers(pool, list(futures))
        raise
    pool.shutdown(wait=True)


def run_ray(tasks: Sequence[Mapping[str, Any]], on_result: OnResult, address: str | None = None) -> None:
    """Run each trial as a Ray task (num_cpus=1) on the cluster at ``address`` (None: a local Ray instance,
    or the one this process already started). Models are written to the trials' folders, which every
    machine of the cluster must see at the same path; histories and test numbers come back here."""
    try:
        import ray
    except ImportError:
        raise RayMissing(tr("sweep:ray_missing")) from None
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    refs: dict[Any, Mapping[str, Any]] = {}
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(run_trial)  # it trains on one thread
        refs = {remote.remote(dict(task)): task for task in tasks}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                try:
                    row = ray.get(ref)
                except Exception as error:  # noqa: BLE001 - the task's worker died or Ray failed it
                    row = failed_row(refs[ref], error)
                on_result({**row, "runner": "ray"})
    except BaseException:
        for ref in refs:
            try:
                ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001 - finished already, or Ray is going down
                pass
        raise
    finally:
        if started:
            ray.shutdown()
