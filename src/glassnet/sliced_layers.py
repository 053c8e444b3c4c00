"""A network split across glassnet's threads: one copy of the layers per thread, one slice of the batch each.

See :mod:`glassnet.parallel` for the design in one paragraph and the threads themselves
(:class:`~glassnet.parallel.Team`, :class:`~glassnet.parallel.SliceGroup`); this module is
what a training step or a ``predict`` does with them.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .parallel import SliceGroup, Team, slices

__all__ = ["head_start", "SlicedLayers"]


def head_start(layers: Sequence[Any], max_input: int) -> int:
    """Index of the first of the trailing layers that take flat inputs of at most ``max_input`` values (len(layers) if none).

    A network's head (Flatten, Dense, their activations) does little work per sample: cut
    into slices, its many small NumPy calls would each hand CPython's GIL to the other
    thread and wait to get it back, costing more than the work. It runs on the whole batch
    in the calling thread instead, exactly as with one thread.
    """
    cut = len(layers)
    while cut > 0:
        shape = getattr(layers[cut - 1], "input_shape", None)
        if shape is None or len(shape) > 1 or int(np.prod(shape)) > max_input:  # images stay sliced
            break
        cut -= 1
    if not any(getattr(layer, "params", None) for layer in layers[:cut]):
        return 0  # nothing below the head worth a thread round (a Flatten before an MLP)
    return cut


class SlicedLayers:
    """``layers`` copied once per thread; forward and backward of a batch cut into slices, one per thread.

    Forward writes each slice's output into one array for the whole batch; backward
    takes dL/doutput for the whole batch and leaves in each original layer's ``grads``
    the sum of the slices' gradients, added in slice order.
    """

    HEAD_MAX_INPUT = 2048
    """Trailing layers whose inputs have at most this many values per sample (the Dense head) run on the whole batch."""

    def __init__(self, layers: Sequence[Any], team: Team):
        self.layers = list(layers)
        self.team = team
        self.cut = head_start(self.layers, self.HEAD_MAX_INPUT)
        self.copies = [[layer.replica() for layer in self.layers] for _ in range(team.size)]
        self._use_group(team.size)
        self._bounds: list[slice] = []

    def _use_group(self, n_slices: int) -> None:
        """A new SliceGroup for ``n_slices`` slices, given to the first ``n_slices`` copies of the layers."""
        self.group = SliceGroup(n_slices)
        for k, copy in enumerate(self.copies[:n_slices]):
            for layer in copy:
                layer.sync = self.group.member(k)

    def _run(self, fn: Callable[[int], Any]) -> None:
        try:
            self.team.run(fn, len(self._bounds))
        except BaseException:
            self.group.reset()
            raise

    def _guarded(self, fn: Callable[[int], Any]) -> Callable[[int], Any]:
        def part(k: int) -> None:
            try:
                fn(k)
            except BaseException:
                self.group.abort()  # the others may be waiting for this slice at a sum
                raise
        return part

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        """x (N, ...) -> output (N, ...): layers[:cut] on one slice per thread, the head layers[cut:] on the whole batch here."""
        out = self._forward_slices(x, training) if self.cut > 0 else x
        for layer in self.layers[self.cut:]:
            out = layer.forward(out, training)
        return out

    def _forward_slices(self, x: np.ndarray, training: bool) -> np.ndarray:
        """x (N, ...) -> output (N, ...) of layers[cut - 1], each slice of samples in its own thread."""
        self._bounds = slices(x.shape[0], self.team.size)
        if len(self._bounds) != self.group.n_slices:  # a batch smaller than the team (the last one, say)
            self._use_group(len(self._bounds))
        self.group.n_samples = x.shape[0]
        if training:
            self._give_generators()
        result = np.empty((x.shape[0], *self.layers[self.cut - 1].output_shape), dtype=x.dtype)

        def part(k: int) -> None:
            out = x[self._bounds[k]]
            for layer in self.copies[k][: self.cut]:
                out = layer.forward(out, training)
            result[self._bounds[k]] = out

        self._run(self._guarded(part))
        return result

    def forward_each(self, batches: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Inference: batch k (N_k, ...) -> its output, whole, through copy k in thread k (at most ``team.size``).

        For ``predict``: whole batches side by side cross fewer thread rounds than one batch
        split in two, and give bit for bit what one thread gives.
        """
        outputs: list[Any] = [None] * len(batches)

        def part(k: int) -> None:
            out = batches[k]
            for layer in self.copies[k]:
                out = layer.forward(out, False)
            outputs[k] = out

        self.team.run(part, len(batches))
        return outputs

    def _give_generators(self) -> None:
        """Each copy of a layer with its own generator (Dropout) gets one drawn from the original's, per step."""
        n = len(self._bounds)
        for i, layer in enumerate(self.layers[: self.cut]):  # the head's layers use their own generator
            rng = getattr(layer, "rng", None)
            if isinstance(rng, np.random.Generator):
                for k, seed in enumerate(rng.integers(2**63, size=n)):
                    self.copies[k][i].rng = np.random.default_rng(int(seed))

    def backward(self, grad: np.ndarray, start: int = 0) -> None:
        """dL/doutput (N, ...) -> the head's layers hold the batch's gradients, each copy of layers[start:cut] its slice's (see ``step``)."""
        for layer in reversed(self.layers[max(start, self.cut):]):
            grad = layer.backward(grad)
        if start >= self.cut:
            return
        bounds = self._bounds

        def part(k: int) -> None:
            g = np.ascontiguousarray(grad[bounds[k]])
            for layer in reversed(self.copies[k][start: self.cut]):
                g = layer.backward(g)

        self._run(self._guarded(part))

    SPLIT_MIN = 16384
    """Parameters of at least this many elements are cut into one range per thread; smaller ones go whole to one."""

    THREADED_UPDATE_MIN = 1 << 20
    """Below this many parameters in all, one thread sums and updates (a thread round costs more than it saves)."""

    def step(self, optimizer: Any) -> None:
        """Sum the slices' gradients (in slice order) into the original layers' ``grads`` and take one optimizer step.

        Each thread sums and updates its own ranges of elements, so the work is shared; the
        first step (which creates the optimizer's state) and non-element-wise optimizers
        run in this thread.
        """
        n = len(self._bounds)
        # (optimizer key, parameter, summed gradient, the slices' gradients: none for the head, whose are whole)
        entries: list[tuple[str, Any, np.ndarray, list[np.ndarray]]] = []
        for i, original in enumerate(self.layers):  # layers below the first trainable one have no grads
            for key in original.grads:
                parts = [self.copies[k][i].grads[key] for k in range(n)] if i < self.cut else []
                if parts:
                    original.grads[key] = np.empty_like(parts[0])
                entries.append((f"{i}.{key}", original.params.get(key), original.grads[key], parts))
        params = {key: param for key, param, _, _ in entries if param is not None}
        grads = {key: total for key, _, total, _ in entries}
        threaded = sum(p.size for p in params.values()) >= self.THREADED_UPDATE_MIN and optimizer.ready_for_ranges(params)
        work = self._share(entries, n if threaded else 1)

        def part(k: int) -> None:
            for index, start, stop in work[k]:
                _, _, total, parts = entries[index]
                out = total.reshape(-1)[start:stop]
                if len(parts) == 1:
                    out[...] = parts[0].reshape(-1)[start:stop]
                elif parts:
                    np.add(parts[0].reshape(-1)[start:stop], parts[1].reshape(-1)[start:stop], out=out)
                for extra in parts[2:]:
                    out += extra.reshape(-1)[start:stop]
            if threaded:
                for index, start, stop in work[k]:
                    key, param, total, _ = entries[index]
                    if param is not None:
                        optimizer.update_range(key, param, total, steps[key], start, stop)

        if threaded:
            steps = optimizer.begin_step(params, grads)
            self._run(part) if n > 1 else part(0)
        else:
            part(0)
            optimizer.step(params, grads)

    def _share(self, entries: list, n: int) -> list[list[tuple[int, int, int]]]:
        """For each of n threads, its (entry index, start, stop) ranges: big arrays cut in n, small ones whole."""
        work: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
        load = [0] * n
        for index, (_, _, total, _) in enumerate(entries):
            size = total.size
            if n > 1 and size >= self.SPLIT_MIN:
                for k, s in enumerate(slices(size, n)):
                    work[k].append((index, s.start, s.stop))
                    load[k] += s.stop - s.start
            else:
                k = load.index(min(load))
                work[k].append((index, 0, size))
                load[k] += size
        return work
