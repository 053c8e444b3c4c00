"""glassnet's threads: each batch is split between them, every kernel inside runs on one core.

The design in one paragraph. A training step (or a batch of ``predict``) is cut into as
many contiguous slices of samples as there are threads; thread k runs the whole network
forward and backward on slice k with its own copy of the layers (:meth:`Layer.replica`:
the same parameter arrays, its own activations and gradients), and the gradients of the
slices are added up in the order k = 0, 1, ... before the optimizer's one step. The loss
is computed on the whole batch, so it is the same number as with one thread. Inside a
slice every numba kernel runs on one core and NumPy's BLAS is held to one thread
(threadpoolctl, only while glassnet computes), so there is exactly one busy thread per
core and nothing else: no OpenMP pool (nothing to clash with PyTorch's, nothing broken
by ``fork``), and no thread spinning between steps (idle threads wait on a lock).
BatchNorm, the one layer that mixes samples, adds its per-slice sums across the threads
(:class:`SliceGroup`) so it still normalises with the statistics of the whole batch. The
network's head (the trailing Dense layers and their activations, see :func:`head_start`)
runs on the whole batch in the calling thread: its work is too small to split, and every
small NumPy call in two threads at once costs a hand-over of CPython's GIL. For the same
reason each convolution is one numba call (:mod:`glassnet.ops.conv_fused`).
The same seed and thread count give bit-identical training; with one thread the step is
exactly the plain loop of ``training.train_step``.

Threads: ``set_num_threads(n)`` / ``get_num_threads()``, or ``GLASSNET_NUM_THREADS``;
the default is the number of cores this process may run on.
"""
from __future__ import annotations

import os
import queue
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np

__all__ = ["get_num_threads", "set_num_threads", "blas_single_thread", "slices", "Team", "SliceGroup"]

_num_threads: int | None = None


def _available_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def _threads_from_environment() -> int:
    value = os.environ.get("GLASSNET_NUM_THREADS", "").strip()
    if not value:
        return _available_cores()
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"GLASSNET_NUM_THREADS must be a positive integer (threads per batch), got {value!r}")
    return n


def get_num_threads() -> int:
    """Threads glassnet splits each batch between (default: the cores this process may use)."""
    global _num_threads
    if _num_threads is None:
        _num_threads = _threads_from_environment()
    return _num_threads


def set_num_threads(n: int) -> None:
    """Split each batch between ``n`` threads from now on (1: everything in the calling thread)."""
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"set_num_threads expects a positive integer number of threads, got {n!r}")
    _num_threads = int(n)


# ---------------------------------------------------------------------------------
# NumPy's BLAS: one thread while glassnet computes
# ---------------------------------------------------------------------------------
_blas_lock = threading.Lock()
_blas_users = 0
_blas_saved: list[tuple[Any, int]] = []
_blas_libraries: list[Any] | None = None


def _blas_controllers() -> list[Any]:
    """threadpoolctl's handles on the BLAS libraries loaded in this process (looked up once: it takes ~0.4 ms)."""
    global _blas_libraries
    if _blas_libraries is None:
        from threadpoolctl import ThreadpoolController

        _blas_libraries = list(ThreadpoolController().select(user_api="blas").lib_controllers)
    return _blas_libraries


@contextmanager
def blas_single_thread() -> Iterator[None]:
    """Hold BLAS to one thread inside the block (nestable, and from several threads: the last one out restores it).

    glassnet's own threads are the parallelism; a BLAS pool on top would put two busy
    threads on each core. The limit is process-wide while any glassnet call runs.
    """
    global _blas_users, _blas_saved
    with _blas_lock:
        if _blas_users == 0:
            _blas_saved = [(library, library.num_threads) for library in _blas_controllers()]
            for library, _ in _blas_saved:
                library.set_num_threads(1)
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                for library, threads in _blas_saved:
                    library.set_num_threads(threads)
                _blas_saved = []


# ---------------------------------------------------------------------------------
# Memory: reuse what was freed instead of handing it back to the kernel
# ---------------------------------------------------------------------------------
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_malloc_tuned = False


def keep_freed_memory(mmap_threshold: int = 64 << 20, trim_threshold: int = 256 << 20) -> None:
    """Ask glibc's malloc to keep freed blocks of up to ``mmap_threshold`` bytes for reuse (once per process).

    Every step allocates and frees the same activations. By default glibc returns blocks
    of a few hundred kB to the kernel and maps them again on the next step; the page
    faults, and the TLB flushes each unmap sends to the other core, made two threads
    about 20 % slower than they need be. Memory freed stays in the process, up to
    ``trim_threshold`` bytes beyond what is in use. Does nothing without glibc.
    """
    global _malloc_tuned
    if _malloc_tuned:
        return
    _malloc_tuned = True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold))
        libc.mallopt(_M_TRIM_THRESHOLD, int(trim_threshold))
    except (OSError, AttributeError):
        pass


# ---------------------------------------------------------------------------------
# Splitting a batch
# ---------------------------------------------------------------------------------
def slices(n_samples: int, n_parts: int) -> list[slice]:
    """Contiguous slices covering 0..n_samples, at most n_parts of them, sizes differing by at most one."""
    parts = max(1, min(n_parts, n_samples))
    base, extra = divmod(n_samples, parts)
    bounds, start = [], 0
    for k in range(parts):
        stop = start + base + (1 if k < extra else 0)
        bounds.append(slice(start, stop))
        start = stop
    return bounds


# ---------------------------------------------------------------------------------
# The threads
# ---------------------------------------------------------------------------------
class Team:
    """The calling thread plus ``size - 1`` helper threads, started on first use and stopped by ``close``.

    ``run(fn, n)`` calls ``fn(0)`` in the calling thread and ``fn(1) ... fn(n-1)`` in the
    helpers, and returns when all are done (re-raising the first error). Helpers wait on
    a queue between runs: asleep, not spinning.
    """

    def __init__(self, size: int):
        self.size = max(1, int(size))
        self._inboxes: list[queue.SimpleQueue] = []
        self._done: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    def _start(self) -> None:
        for k in range(1, self.size):
            inbox: queue.SimpleQueue = queue.SimpleQueue()
            thread = threading.Thread(target=self._serve, args=(inbox,), name=f"glassnet-{k}", daemon=True)
            thread.start()
            self._inboxes.append(inbox)
            self._threads.append(thread)

    def _serve(self, inbox: queue.SimpleQueue) -> None:
        while True:
            task = inbox.get()
            if task is None:
                return
            fn, k = task
            try:
                fn(k)
                self._done.put((k, None))
            except BaseException as error:  # handed to the caller, who re-raises it
                self._done.put((k, error))

    def run(self, fn: Callable[[int], Any], n: int) -> None:
        """fn(0), ..., fn(n - 1) at once, fn(0) in this thread; n must not exceed ``size``."""
        if n > self.size:
            raise ValueError(f"a team of {self.size} threads cannot run {n} parts at once")
        if n > 1 and not self._threads:
            self._start()
        for k in range(1, n):
            self._inboxes[k - 1].put((fn, k))
        errors: list[BaseException] = []
        try:
            fn(0)
        except BaseException as error:
            errors.append(error)
        for _ in range(1, n):
            _, failure = self._done.get()
            if failure is not None:
                errors.append(failure)
        if errors:  # the error that started it, not a thread released from a sum because of it
            raise next((e for e in errors if not isinstance(e, threading.BrokenBarrierError)), errors[0])

    def close(self) -> None:
        """Stop the helper threads (a closed team can start again)."""
        for inbox in self._inboxes:
            inbox.put(None)
        for thread in self._threads:
            thread.join()
        self._inboxes, self._threads = [], []

    def __enter__(self) -> "Team":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class SliceGroup:
    """What the threads of one step share: sums across slices, added in slice order (so results repeat exactly).

    A layer that mixes samples (BatchNorm) gets a ``SliceMember`` as its ``sync`` and
    calls ``sync.allsum(partial)`` where a one-thread layer would sum over the batch.
    """

    TIMEOUT = 600.0
    """Seconds a thread waits for the others at a sum before giving up (only a bug or a dead thread gets there)."""

    def __init__(self, n_slices: int):
        self.n_slices = n_slices
        self.n_samples = 0
        self._barrier = threading.Barrier(n_slices, timeout=self.TIMEOUT)
        self._parts: list[Any] = [None] * n_slices

    def member(self, index: int) -> "SliceMember":
        return SliceMember(self, index)

    def allsum(self, index: int, partial: np.ndarray) -> np.ndarray:
        """Σ over slices of ``partial`` (same shape in every slice), the same array for every caller."""
        self._parts[index] = partial
        self._barrier.wait()
        total = self._parts[0].copy()
        for part in self._parts[1:]:
            total += part
        self._barrier.wait()  # nobody writes the next partial before everyone has read this one
        return total

    def abort(self) -> None:
        """Release the threads waiting at a sum (one of them failed)."""
        self._barrier.abort()

    def reset(self) -> None:
        self._barrier.reset()


class SliceMember:
    """One slice's handle on its ``SliceGroup``: ``index`` (0 is the one that updates running statistics)."""

    def __init__(self, group: SliceGroup, index: int):
        self.group, self.index = group, index

    @property
    def n_samples(self) -> int:
        """Samples in the whole batch (all slices)."""
        return self.group.n_samples

    def allsum(self, partial: np.ndarray) -> np.ndarray:
        return self.group.allsum(self.index, partial)
