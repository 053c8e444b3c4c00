"""The threads of one ``fit`` / ``evaluate`` / ``predict`` call: its team, its copies of the layers, how batches are grouped.

``call_threads()`` opens the context every such call runs in (BLAS on one thread, a team of
``get_num_threads()`` threads, glibc keeping freed memory); ``Sliced`` makes the copies of
the layers that each thread runs (see :mod:`glassnet.parallel` for the design).
"""
from __future__ import annotations

from contextlib import ExitStack
from typing import Any, Iterator

import numpy as np

from . import parallel, sliced_layers


class Sliced:
    """The thread team of one fit / evaluate / predict call and its copies of the layers, made on first need."""

    def __init__(self, team: parallel.Team):
        self.team = team
        self._copies: dict[tuple[int, int], sliced_layers.SlicedLayers] = {}

    def get(self, layers: list) -> "sliced_layers.SlicedLayers | None":
        """``layers`` split across the team's threads (None with one thread)."""
        if self.team.size < 2:
            return None
        key = (id(layers[0]), len(layers))
        if key not in self._copies:
            self._copies[key] = sliced_layers.SlicedLayers(layers, self.team)
        return self._copies[key]

    def forward(self, layers: list, xb: np.ndarray) -> np.ndarray:
        """Inference forward of one batch (N, ...) through ``layers``, split across the threads when N > 1."""
        sliced = self.get(layers) if xb.shape[0] > 1 else None
        if sliced is not None:
            return sliced.forward(xb, False)
        out = xb
        for layer in layers:
            out = layer.forward(out, False)
        return out

    def batches_at_once(self, batch_size: int) -> int:
        """How many whole batches of ``batch_size`` run side by side: one per thread up to WHOLE_BATCHES_UP_TO, else 1."""
        return self.team.size if self.team.size > 1 and batch_size <= WHOLE_BATCHES_UP_TO else 1

    def forward_batches(self, layers: list, batches: list[np.ndarray]) -> list[np.ndarray]:
        """Inference outputs of whole batches [(N_k, ...)], side by side when there are several (predict, evaluate)."""
        sliced = self.get(layers) if len(batches) > 1 else None
        if sliced is not None:
            return sliced.forward_each(batches)
        return [self.forward(layers, xb) for xb in batches]


WHOLE_BATCHES_UP_TO = 512
"""predict and evaluate run batches of up to this many samples whole, side by side; bigger ones split between threads.

LeNet-5 on the 10,000 MNIST test images, 2 threads: batches of 128 took 205 ms side by side
against 233 ms split; batches of 1000, 251 ms side by side against 202 ms split (two big
batches at once no longer fit in the caches).
"""


def groups_of(n: int, items: Any) -> Iterator[list[Any]]:
    """Consecutive lists of n items (the last may be shorter)."""
    group: list[Any] = []
    for item in items:
        group.append(item)
        if len(group) == n:
            yield group
            group = []
    if group:
        yield group


def call_threads() -> tuple[ExitStack, Sliced]:
    """The context of one glassnet call: BLAS on one thread, and a Sliced over a team of get_num_threads() threads."""
    parallel.keep_freed_memory()
    stack = ExitStack()
    stack.enter_context(parallel.blas_single_thread())
    team = stack.enter_context(parallel.Team(parallel.get_num_threads()))
    return stack, Sliced(team)
