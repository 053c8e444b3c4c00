"""The training half of ``Sequential``: compile, fit, evaluate, predict, and the loop behind them.

``Sequential`` inherits ``Trainer`` (as Keras 3's ``Model`` inherits its ``Trainer``), so
the model owns its training and this module never imports the model: it uses only what
``Trainer`` documents that its subclass provides. One training step is::

    out = x
    for layer in trunk:             out = layer.forward(out, training=True)
    loss = loss_fn.forward(out, y);  grad = loss_fn.backward()        # dL/dout, already / N
    for layer in reversed(trunk):   grad = layer.backward(grad)
    optimizer.step(params, grads)

where ``trunk, loss_fn = model.training_plan()`` (see there: the last Softmax is fused
into the loss). The checks run before the first step are in ``training_checks``, the
batches come from ``batch_sources``, every generator from ``seeding``, the callbacks'
order from ``callbacks.fit_callbacks``, and the threads from ``parallel``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from . import losses as losses_module
from . import metrics as metrics_module
from . import optimizers as optimizers_module
from .call_threads import Sliced, call_threads, groups_of
from .backend import DTYPE
from .batch_sources import (ArraySource, LoaderSource, is_loader, make_source, prepare_arrays, split_validation,
                            validation_source)
from .callbacks import CallbackList, History, fit_callbacks
from .layers.activations import Sigmoid, Softmax
from .layers.base import Layer
from .metrics import RunningMeans
from .seeding import seed_layer_generators, seed_loader_generators, shuffle_order
from .training_checks import check_batch_size, check_fit_options, check_loss_fits, first_non_finite

# check_batch_size, first_non_finite, ArraySource and LoaderSource were defined here; still importable from here.
__all__ = ["Trainer", "fit", "evaluate", "predict", "train_step", "ArraySource", "LoaderSource", "check_batch_size",
           "first_non_finite"]


class Trainer:
    """Keras's training verbs, for a model class that provides what the loop needs.

    The subclass (``Sequential``) provides ``layers``, ``name``, ``seed``, ``built``,
    ``build(shape)``, ``output_shape``, ``backward_start``, ``named_params()``,
    ``named_grads()`` and ``_check_input(x, who)``. Trainer keeps ``optimizer``, ``loss``,
    ``metrics``, ``fuse_softmax``, ``stop_training``, ``epochs_trained`` and ``history``.
    """

    if TYPE_CHECKING:  # what the subclass provides (see the class docstring)
        layers: list[Layer]
        name: str
        seed: int

        @property
        def built(self) -> bool: ...
        @property
        def output_shape(self) -> tuple[int, ...] | None: ...
        @property
        def backward_start(self) -> int: ...
        def build(self, input_shape: Sequence[int]) -> None: ...
        def named_params(self) -> dict[str, np.ndarray]: ...
        def named_grads(self) -> dict[str, np.ndarray | None]: ...
        def _check_input(self, x: Any, who: str) -> np.ndarray: ...

    def __init__(self) -> None:
        self.optimizer: optimizers_module.Optimizer | None = None
        self.loss: losses_module.Loss | None = None
        self.metrics: list[tuple[str, Callable[[np.ndarray, np.ndarray], float]]] = []
        self.fuse_softmax = True
        """False: training runs the last Softmax / Sigmoid layer and the loss on probabilities (see training_plan)."""
        self.stop_training = False
        """Set to True by a callback to end ``fit`` after the current batch or epoch."""
        self.epochs_trained = 0
        """Number of epochs this model has trained in all (saved with it; keys the per-epoch streams)."""
        self.history: History | None = None

    def compile(
        self,
        optimizer: str | optimizers_module.Optimizer = "rmsprop",
        loss: str | losses_module.Loss | None = None,
        metrics: Sequence[str | Callable[[np.ndarray, np.ndarray], float]] | None = None,
        fuse_softmax: bool = True,
    ) -> None:
        """Choose the optimizer and loss (objects or names) and the metrics to log, under the names given ('acc', 'mae').

        ``fuse_softmax=False`` trains without fusing a final Softmax (or Sigmoid) into the
        loss, so that stepping through ``fit`` reaches ``Softmax.backward``; see ``training_plan``.
        """
        if loss is None:
            raise ValueError("compile needs a loss, e.g. loss='cross_entropy' (logits) or 'mse'")
        if not self.layers:
            raise ValueError(f"compile: model {self.name!r} has no layers; add them before compiling")
        optimizer = optimizers_module.get(optimizer)
        loss = losses_module.get(loss)
        if isinstance(metrics, str):
            metrics = [metrics]
        # The log key is the name as the user wrote it (Keras: metrics=["acc"] logs 'acc' and 'val_acc').
        named = [(m.strip().lower() if isinstance(m, str) else key, fn)
                 for m, (key, fn) in zip(metrics or [], map(metrics_module.get, metrics or []))]
        check_loss_fits(loss, self.layers[-1])
        self.optimizer, self.loss, self.metrics = optimizer, loss, named
        self.fuse_softmax = bool(fuse_softmax)

    @property
    def compiled(self) -> bool:
        """True once ``compile`` has chosen an optimizer and a loss."""
        return self.optimizer is not None and self.loss is not None

    def training_plan(self) -> tuple[list[Layer], losses_module.Loss]:
        """(layers the training step runs, loss it applies to their output).

        Softmax + cross-entropy on probabilities (and Sigmoid + binary cross-entropy) are
        fused: the step stops before the last layer and applies the loss "from logits",
        so dL/dz = (p - y) / N exactly, and logits of ±1000 give no NaN. So a student
        stepping through ``fit`` never reaches ``Softmax.backward``: compile with
        ``fuse_softmax=False`` to run every layer and the loss on probabilities, as the
        course first writes it (p clipped to [1e-7, 1 - 1e-7], so less exact). ``evaluate``
        uses the same plan; ``predict`` always runs every layer.
        """
        last, loss = self.layers[-1], self.loss
        if loss is None:
            raise RuntimeError(f"model {self.name!r} is not compiled; call model.compile(optimizer, loss) first")
        fusable = ((isinstance(loss, losses_module.CrossEntropy) and isinstance(last, Softmax))
                   or (isinstance(loss, losses_module.BinaryCrossEntropy) and isinstance(last, Sigmoid)))
        if self.fuse_softmax and fusable and not getattr(loss, "from_logits", True):
            return self.layers[:-1], type(loss).from_config({**loss.get_config(), "from_logits": True})
        return list(self.layers), loss

    def fit(
        self,
        x: Any,
        y: Any = None,
        batch_size: int = 32,
        epochs: int = 1,
        verbose: int = 1,
        callbacks: Sequence[Any] | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        initial_epoch: int = 0,
        class_weight: dict[int, float] | None = None,
        sample_weight: Any = None,
    ) -> History:
        """Train on x (N, *input_shape) and labels y (N,) int or (N, K) one-hot, or a DataLoader; returns History.

        ``sample_weight`` (N,) or ``class_weight`` ({class index: weight}, a class not in it
        weighs 1) weight each sample's loss as Keras 3 does: L = Σ w_i l_i / N per batch (see
        ``glassnet.losses``); the metrics stay unweighted. class_weight weights the training
        data only; sample_weight is split with ``validation_split``, and validation_data may be
        (x_val, y_val, sample_weight_val).

        As in Keras, ``epochs`` is the index of the last epoch and training starts at
        ``initial_epoch``: to resume a loaded model, ``fit(..., epochs=total,
        initial_epoch=model.epochs_trained)``. ``validation_split`` holds out the last
        fraction of x, y before shuffling. ``verbose``: 0 quiet, 1 progress bar, 2 one
        line per epoch. Everything is checked before the first step.

        Stepping through it in a debugger: each batch goes through ``train_step`` with the
        plan of ``training_plan``, so a final Softmax never runs its backward (it is fused
        into the loss) unless compiled with ``fuse_softmax=False``. ReLU, BatchNorm and Adam
        run one-pass numba kernels (``glassnet.ops.fused_kernels``) on C-contiguous float
        arrays, which is every array in fit, so the NumPy lines beside them (run for other
        dtypes or non-contiguous arrays) are never reached; with ``NUMBA_DISABLE_JIT=1`` in
        the environment before glassnet is imported those kernels are plain Python that a
        debugger steps into, line by line. With several threads each batch is split between
        copies of the layers; ``glassnet.set_num_threads(1)`` keeps the loop in one thread.
        """
        if not self.compiled:
            raise RuntimeError(f"model {self.name!r} is not compiled; call model.compile(optimizer, loss) before fit")
        batch_size = check_fit_options(batch_size, epochs, initial_epoch, verbose, validation_split, validation_data)
        val_source: ArraySource | LoaderSource | None = None
        if validation_split:
            x, y, sample_weight, val_source = split_validation(self, x, y, validation_split, batch_size,
                                                               sample_weight)
        train_source = make_source(self, x, y, batch_size, "fit", sample_weight=sample_weight,
                                   class_weight=class_weight)
        if validation_data is not None:
            val_source = validation_source(self, validation_data, batch_size)

        trunk, loss_fn = self.training_plan()
        metric_names = [name for name, _ in self.metrics]
        log_keys = ["loss", *metric_names]
        if val_source is not None:
            log_keys += ["val_" + key for key in log_keys]
        history, ordered = fit_callbacks(list(callbacks or []), verbose)
        params = {"epochs": int(epochs), "steps": train_source.steps, "batch_size": batch_size,
                  "samples": train_source.num_samples, "verbose": verbose, "metrics": log_keys,
                  "initial_epoch": int(initial_epoch)}
        hooks = CallbackList(ordered, self, params)

        self.stop_training = False
        stack, sliced = call_threads()
        with stack:
            _fit_epochs(self, hooks, train_source, val_source, trunk, loss_fn, metric_names, sliced,
                        int(initial_epoch), int(epochs), shuffle)
        self.history = history
        return history

    def evaluate(
        self, x: Any, y: Any = None, batch_size: int = 32, verbose: int = 0, return_dict: bool = False, *,
        sample_weight: Any = None, class_weight: dict[int, float] | None = None, callbacks: Sequence[Any] | None = None,
    ) -> float | list[float] | dict[str, float]:
        """Loss (and metrics) on x (N, *input_shape), y (N, ...) in inference mode: a float, [loss, *metrics], or a dict.

        ``sample_weight`` (N,) weights the loss as in ``fit`` (``class_weight`` too, which Keras's
        evaluate lacks); ``callbacks`` get on_test_begin, on_test_batch_begin/end, on_test_end.
        """
        logs = evaluate(self, x, y, batch_size=batch_size, verbose=verbose, sample_weight=sample_weight,
                        class_weight=class_weight, callbacks=callbacks)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x: Any, batch_size: int = 128, verbose: int = 0,
                callbacks: Sequence[Any] | None = None) -> np.ndarray:
        """Outputs (N, *output_shape) for x (N, *input_shape), ``batch_size`` samples at a time.

        Every layer runs (no fusion), in inference mode; one batch of activations is alive
        at a time, written into one result array. ``callbacks`` get on_predict_begin,
        on_predict_batch_begin/end (logs {'outputs': the batch's outputs}) and on_predict_end.
        """
        batch_size = check_batch_size(batch_size)
        stack, sliced = call_threads()
        with stack:
            if is_loader(x):
                source: Any = LoaderSource(x, "predict")
            else:
                x, _ = prepare_arrays(self, x, None, "predict")
                source = ArraySource(x, None, batch_size)
            hooks = CallbackList(list(callbacks or []), self, {"verbose": verbose, "epochs": 1, "steps": source.steps})
            hooks.call("on_predict_begin", {})
            parts, result, start = [], None, 0
            if isinstance(source, ArraySource):
                result = np.empty((source.num_samples, *(self.output_shape or ())), dtype=DTYPE)
            # With several threads, as many whole batches as threads run side by side (see
            # sliced_layers.SlicedLayers.forward_each); their hooks run before and after the group.
            together = sliced.batches_at_once(batch_size) if result is not None else 1
            for group in groups_of(together, enumerate(source.batches())):
                for step, _ in group:
                    hooks.call("on_predict_batch_begin", step, {})
                batches = [xb for _, (xb, _) in group]
                if not self.built:  # a DataLoader: the model learns its input shape from the first batch
                    self.build(batches[0].shape[1:])
                outs = sliced.forward_batches(self.layers, batches)
                for (step, _), out in zip(group, outs):
                    if result is None:
                        parts.append(out)
                    else:
                        result[start:start + out.shape[0]] = out
                    start += out.shape[0]
                    hooks.call("on_predict_batch_end", step, {"outputs": out})
                    if verbose:
                        print(f"\r{step + 1}/{source.steps}", end="", flush=True)
            if verbose:
                print()
            if result is None:
                if not parts:
                    raise ValueError("predict: the DataLoader is empty; expected at least one sample")
                result = np.concatenate(parts)
            hooks.call("on_predict_end", {})
            return result


fit = Trainer.fit
"""``fit(model, x, y, ...)``: the same as ``model.fit(x, y, ...)``."""
predict = Trainer.predict
"""``predict(model, x, ...)``: the same as ``model.predict(x, ...)``."""


def evaluate(model: Any, x: Any, y: Any = None, *, batch_size: int = 32, verbose: int = 0, sample_weight: Any = None,
             class_weight: dict[int, float] | None = None, callbacks: Sequence[Any] | None = None) -> dict[str, float]:
    """{'loss': ..., '<metric>': ...} over x (N, *input_shape), y (N, ...) in inference mode, ``batch_size`` at a time."""
    if not model.compiled:
        raise RuntimeError(f"model {model.name!r} is not compiled; call model.compile(optimizer, loss) first")
    batch_size = check_batch_size(batch_size)
    source = make_source(model, x, y, batch_size, "evaluate", sample_weight=sample_weight, class_weight=class_weight)
    trunk, loss_fn = model.training_plan()
    params = {"verbose": verbose, "epochs": 1, "steps": source.steps, "batch_size": batch_size,
              "samples": source.num_samples, "metrics": ["loss", *(name for name, _ in model.metrics)]}
    hooks = CallbackList(list(callbacks or []), model, params)
    stack, sliced = call_threads()
    with stack:
        logs = _evaluate_source(model, source, trunk, loss_fn, sliced, hooks)
    if verbose:
        print(" - ".join(f"{key}: {value:.4f}" for key, value in logs.items()))
    return logs


# ---------------------------------------------------------------------------------
# One step and one pass
# ---------------------------------------------------------------------------------
def _batch_values(model: Any, trunk: list, loss: float, yb: np.ndarray, out: np.ndarray) -> list[float]:
    """[loss, *metrics] of one batch; the metrics see the model's real output (probabilities) when fused."""
    if not model.metrics:
        return [loss]
    if len(trunk) < len(model.layers):
        out = model.layers[-1].forward(out, False)
    return [loss, *(fn(yb, out) for _, fn in model.metrics)]


def _loss(loss_fn: Any, out: np.ndarray, yb: Any, wb: np.ndarray | None) -> float:
    """The loss of one batch out (B, ...) against yb, weighted by wb (B,) when given (a Loss without weights still works)."""
    return loss_fn.forward(out, yb) if wb is None else loss_fn.forward(out, yb, sample_weight=wb)


def train_step(
    model: Any, trunk: list, loss_fn: Any, xb: np.ndarray, yb: np.ndarray, sliced: "Sliced | None" = None,
    wb: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """Forward xb (B, ...), loss against yb (B, ...) weighted by wb (B,), backward, optimizer step; (loss, trunk output).

    With ``sliced`` (several threads), forward and backward run on slices of the batch at
    once (see :mod:`glassnet.parallel`); the loss, computed on the whole batch here, with
    its weights, and the optimizer step are the same.
    """
    layers = sliced.get(trunk) if sliced is not None and xb.shape[0] > 1 else None
    if layers is not None:
        out = layers.forward(xb, True)
    else:
        out = xb
        for layer in trunk:
            out = layer.forward(out, True)
    loss = _loss(loss_fn, out, yb, wb)
    grad = loss_fn.backward()
    if layers is not None:
        layers.backward(grad, model.backward_start)
        layers.step(model.optimizer)  # the slices' gradients summed, then the update, shared by the threads
        return loss, out
    for layer in reversed(trunk[model.backward_start:]):  # nothing below the first trainable layer
        grad = layer.backward(grad)
    model.optimizer.step(model.named_params(), model.named_grads())
    return loss, out


def _evaluate_source(model: Any, source: Any, trunk: list, loss_fn: Any, sliced: Sliced,
                     hooks: CallbackList) -> dict[str, float]:
    """Mean loss and metrics over all batches of ``source``, in inference mode, calling the on_test_* hooks."""
    totals = RunningMeans(["loss", *(name for name, _ in model.metrics)])
    hooks.call("on_test_begin", {})
    # As in predict: with several threads, whole batches side by side (the same numbers as one thread).
    together = sliced.batches_at_once(source.batch_size or 0) if model.built else 1
    for group in groups_of(together, enumerate(source.weighted_batches())):
        if not model.built:
            model.build(group[0][1][0].shape[1:])
        for batch, _ in group:
            hooks.call("on_test_batch_begin", batch, {})
        outs = sliced.forward_batches(trunk, [xb for _, (xb, _, _) in group])
        for (batch, (xb, yb, wb)), out in zip(group, outs):
            totals.add(xb.shape[0], _batch_values(model, trunk, _loss(loss_fn, out, yb, wb), yb, out))
            hooks.call("on_test_batch_end", batch, {"batch": batch, "size": int(xb.shape[0]), **totals.means()})
    logs = totals.means()
    hooks.call("on_test_end", dict(logs))
    return logs


def _fit_epochs(model, hooks, train_source, val_source, trunk, loss_fn, metric_names, sliced, initial_epoch, epochs,
                shuffle) -> None:
    """The epochs of ``fit``, from on_train_begin to on_train_end.

    An epoch that a callback stops from a batch hook (TerminateOnNaN, or any callback
    setting ``model.stop_training`` in ``on_train_batch_begin`` / ``_end``) is cut short:
    its logs still reach ``on_epoch_end`` (and History), but ``model.epochs_trained`` does
    not count it, so a resumed ``fit`` starts that epoch again from its beginning.
    """
    hooks.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        seed_layer_generators(model)
        loader = getattr(train_source, "loader", None)
        if loader is not None:
            seed_loader_generators(model, loader)
        hooks.on_epoch_begin(epoch)
        shuffled = shuffle and isinstance(train_source, ArraySource)
        order = shuffle_order(model, train_source.num_samples) if shuffled else None
        totals = RunningMeans(["loss", *metric_names])
        cut_short = False
        for batch, (xb, yb, wb) in enumerate(train_source.weighted_batches(order)):
            if yb is None:
                raise ValueError("fit: the DataLoader yields no labels; build it as DataLoader(x, y, ...)")
            if not model.built:  # a loader without .x: build from the first batch, with the model's seed
                model.build(xb.shape[1:])
            hooks.on_batch_begin(batch)  # each callback's on_train_batch_begin, by default its on_batch_begin
            loss, out = train_step(model, trunk, loss_fn, xb, yb, sliced, wb)
            totals.add(xb.shape[0], _batch_values(model, trunk, loss, yb, out))
            hooks.on_batch_end(batch, {"batch": batch, "size": int(xb.shape[0]), **totals.means()})
            if model.stop_training:
                cut_short = True
                break
        logs = totals.means()
        if val_source is not None:
            val_logs = _evaluate_source(model, val_source, trunk, loss_fn, sliced, hooks)
            logs.update({"val_" + key: value for key, value in val_logs.items()})
        if not cut_short:
            model.epochs_trained += 1
        hooks.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    hooks.on_train_end()
