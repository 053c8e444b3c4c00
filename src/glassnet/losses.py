"""Loss functions: a scalar L (mean over the batch) and its gradient dL/dy_pred.

Every loss follows one small protocol:

* ``forward(y_pred, y_true) -> float`` returns the mean loss and caches what the
  backward pass needs (``loss(y_pred, y_true)`` is the same call);
* ``backward() -> dL/dy_pred`` has the shape and dtype of ``y_pred`` and is
  already divided by the batch size N, so the layers below just sum over N.

``forward(y_pred, y_true, sample_weight=w)`` weights sample i by w_i as Keras 3 does:
L = Σ_i w_i l_i / N, divided by the number of samples N, not by Σ w_i (checked against
Keras 3.15, whose default reduction 'sum_over_batch_size' divides by N); so each row of
dL/dy_pred is the unweighted one times w_i.

Cross-entropy on logits fuses softmax and log: with p = softmax(z) and labels y
(one-hot), L = -1/N Σ_n Σ_k y_nk log p_nk and dL/dz = (p - y) / N. Computing
log p as ``z - max(z) - log Σ exp(z - max(z))`` (log-softmax) never overflows,
so logits of ±1000 give finite losses and gradients.
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

__all__ = [
    "Loss",
    "MeanSquaredError",
    "CrossEntropy",
    "BinaryCrossEntropy",
    "softmax_cross_entropy",
    "log_softmax",
    "get",
    "LOSSES",
    "LOSS_CLASSES",
]

PROB_EPS = 1e-7
"""Probabilities are clipped to [PROB_EPS, 1 - PROB_EPS] before log (Keras's epsilon)."""


def _as_float_array(x: Any, what: str) -> np.ndarray:
    """Return ``x`` as a floating array, keeping float32/float64; ints and bools become float32."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float32)
    return x


def _sample_weights(sample_weight: Any, n: int, dtype: Any, who: str) -> np.ndarray | None:
    """sample_weight as (n,) of ``dtype`` (from (n,) or (n, 1)), or None."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.size != n or (w.ndim and w.shape[0] != n):
        raise ValueError(f"{who}: sample_weight has shape {w.shape}; expected ({n},), one weight per sample")
    return w.reshape(n).astype(dtype, copy=False)


def _per_row(w: np.ndarray, ndim: int) -> np.ndarray:
    """Weights (N,) -> (N, 1, ...) to broadcast against an array of rank ``ndim``."""
    return w.reshape((-1,) + (1,) * (ndim - 1))


class Loss:
    """Base class: ``forward(y_pred, y_true, sample_weight=None) -> float`` and ``backward() -> dL/dy_pred``."""

    name: ClassVar[str] = "loss"

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
        """Mean loss over the batch (Σ w_i l_i / N with weights w (N,)); caches what ``backward`` needs."""
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        """dL/dy_pred, same shape and dtype as ``y_pred``, already divided by N."""
        raise NotImplementedError

    def __call__(self, y_pred: np.ndarray, y_true: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
        if sample_weight is None:  # a Loss subclass written before sample weights keeps working
            return self.forward(y_pred, y_true)
        return self.forward(y_pred, y_true, sample_weight=sample_weight)

    def _require_forward(self) -> None:
        if getattr(self, "_grad", None) is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before forward()")

    def get_config(self) -> dict[str, Any]:
        """JSON-safe constructor arguments."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Loss":
        """Rebuild a loss from ``get_config()`` output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


# ---------------------------------------------------------------------------------
# Mean squared error
# ---------------------------------------------------------------------------------
class MeanSquaredError(Loss):
    """L = mean over all elements of (y_pred - y_true)²; dL/dy_pred = 2 (y_pred - y_true) / size.

    Like ``torch.nn.MSELoss()`` and Keras ``'mse'``. Targets of shape (N,) are
    accepted for predictions of shape (N, 1) (regression on one value).
    """

    name = "mean_squared_error"

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
        """y_pred (N, ...), y_true same shape (or (N,) for (N, 1)), weights (N,) -> mean squared error."""
        y_pred = _as_float_array(y_pred, "y_pred")
        y_true = np.asarray(y_true)
        if y_true.shape != y_pred.shape:
            if y_pred.ndim >= 1 and y_true.size == y_pred.size and y_true.shape[:1] == y_pred.shape[:1]:
                y_true = y_true.reshape(y_pred.shape)
            else:
                raise ValueError(
                    f"MeanSquaredError: y_true has shape {y_true.shape}; expected the shape of y_pred "
                    f"{y_pred.shape}"
                )
        diff = y_pred - y_true.astype(y_pred.dtype, copy=False)
        size = max(diff.size, 1)
        w = _sample_weights(sample_weight, diff.shape[0], diff.dtype, "MeanSquaredError")
        if w is None:
            loss = float(np.vdot(diff, diff)) / size
        else:
            per_sample = np.square(diff, dtype=np.float64).reshape(diff.shape[0], -1).sum(axis=1)
            loss = float(per_sample @ w.astype(np.float64)) / size
        diff *= y_pred.dtype.type(2.0 / size)
        if w is not None:
            diff *= _per_row(w, diff.ndim)
        self._grad = diff
        return loss

    def backward(self) -> np.ndarray:
        """dL/dy_pred (N, ...) = 2 (y_pred - y_true) / size."""
        self._require_forward()
        return self._grad


# ---------------------------------------------------------------------------------
# Cross-entropy
# ---------------------------------------------------------------------------------
def log_softmax(z: np.ndarray) -> np.ndarray:
    """(N, K) logits -> (N, K) log-probabilities: z - max(z) - log Σ exp(z - max(z))."""
    shifted = z - z.max(axis=1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return shifted


def _check_class_scores(y_pred: np.ndarray, who: str) -> None:
    if y_pred.ndim != 2:
        raise ValueError(f"{who}: y_pred has shape {y_pred.shape}; expected (N, K) class scores")


def _labels_to_targets(y_true: Any, n: int, k: int, who: str) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Split labels into (class indices (N,), None) or (None, target distribution (N, K)).

    Accepts integer labels (N,) or (N, 1), and one-hot / soft labels (N, K).
    """
    y = np.asarray(y_true)
    if y.ndim == 2 and y.shape[1] == 1 and k != 1:
        y = y[:, 0]
    if y.ndim == 1:
        if y.shape[0] != n:
            raise ValueError(f"{who}: got {y.shape[0]} labels for a batch of {n} predictions")
        if not np.issubdtype(y.dtype, np.integer):
            if np.issubdtype(y.dtype, np.floating) and np.all(np.mod(y, 1) == 0):
                y = y.astype(np.int64)
            else:
                raise ValueError(
                    f"{who}: labels of shape ({n},) must be integer class indices in [0, {k}); got dtype {y.dtype}"
                )
        if y.size and (y.min() < 0 or y.max() >= k):
            bad = y[(y < 0) | (y >= k)]
            raise ValueError(f"{who}: labels must be class indices in [0, {k}); got {bad[:5].tolist()}")
        return y.astype(np.intp, copy=False), None
    if y.ndim == 2:
        if y.shape[0] != n:
            raise ValueError(f"{who}: got {y.shape[0]} labels for a batch of {n} predictions")
        if y.shape[1] != k:
            raise ValueError(
                f"{who}: one-hot labels have width {y.shape[1]}; expected {k} (one column per class, "
                f"as many as y_pred's {k} scores)"
            )
        return None, y
    raise ValueError(f"{who}: labels have shape {y.shape}; expected ({n},) class indices or ({n}, {k}) one-hot")


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray,
                          sample_weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """logits (N, K), labels int (N,) or one-hot (N, K), weights (N,) -> (mean loss, dL/dlogits (N, K) = w (p - y)/N)."""
    z = _as_float_array(logits, "logits")
    _check_class_scores(z, "softmax_cross_entropy")
    n, k = z.shape
    index, target = _labels_to_targets(labels, n, k, "softmax_cross_entropy")
    w = _sample_weights(sample_weight, n, z.dtype, "softmax_cross_entropy")
    logp = log_softmax(z)
    grad = np.exp(logp)  # p = softmax(z)
    rows = np.arange(n)
    if index is not None:
        picked = logp[rows, index]
        loss = -float(picked.sum(dtype=np.float64) if w is None else picked @ w.astype(np.float64))
        grad[rows, index] -= 1
    else:
        assert target is not None  # one of the two is given
        target = target.astype(z.dtype, copy=False)
        loss = -float(np.vdot(target, logp) if w is None else (target * logp).sum(axis=1) @ w.astype(np.float64))
        grad -= target
    n = max(n, 1)
    grad *= z.dtype.type(1.0 / n)
    if w is not None:
        grad *= w[:, None]
    return loss / n, grad


class CrossEntropy(Loss):
    """Categorical cross-entropy L = -1/N Σ_n log p_n,y_n, from logits or from probabilities.

    ``from_logits=True`` (PyTorch's ``nn.CrossEntropyLoss``): y_pred are raw scores z,
    p = softmax(z) is computed inside, and dL/dz = (p - y) / N.
    ``from_logits=False`` (Keras's ``categorical_crossentropy``): y_pred are
    probabilities, clipped to [1e-7, 1 - 1e-7] before the log; dL/dp = -y / (N p).
    Labels: integer classes (N,) or one-hot (N, K).
    """

    def __init__(self, from_logits: bool = True):
        self.from_logits = bool(from_logits)

    @property
    def name(self) -> str:  # type: ignore[override]
        return "cross_entropy" if self.from_logits else "categorical_crossentropy"

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
        """y_pred (N, K) logits or probabilities, y_true int (N,) or one-hot (N, K), weights (N,) -> mean loss."""
        if self.from_logits:
            loss, self._grad = softmax_cross_entropy(y_pred, y_true, sample_weight)
            return loss
        p = _as_float_array(y_pred, "y_pred")
        _check_class_scores(p, "CrossEntropy")
        n, k = p.shape
        index, target = _labels_to_targets(y_true, n, k, "CrossEntropy")
        w = _sample_weights(sample_weight, n, p.dtype, "CrossEntropy")
        p = np.clip(p, PROB_EPS, 1 - PROB_EPS)
        rows = np.arange(n)
        scale = p.dtype.type(1.0 / max(n, 1))
        grad = np.zeros_like(p)
        if index is not None:
            logs = np.log(p[rows, index])
            loss = -float(logs.sum(dtype=np.float64) if w is None else logs @ w.astype(np.float64))
            grad[rows, index] = -scale / p[rows, index]
        else:
            assert target is not None  # one of the two is given
            target = target.astype(p.dtype, copy=False)
            logp = np.log(p)
            loss = -float(np.vdot(target, logp) if w is None else (target * logp).sum(axis=1) @ w.astype(np.float64))
            np.divide(target, p, out=grad)
            grad *= -scale
        if w is not None:
            grad *= w[:, None]
        self._grad = grad
        return loss / max(n, 1)

    def backward(self) -> np.ndarray:
        """dL/dy_pred (N, K): (softmax(z) - y)/N from logits, -y/(N p) from probabilities."""
        self._require_forward()
        return self._grad

    def get_config(self) -> dict[str, Any]:
        return {"from_logits": self.from_logits}


class BinaryCrossEntropy(Loss):
    """L = -1/N Σ [y log p + (1 - y) log(1 - p)] for one probability (or logit) per sample.

    ``from_logits=False`` (default, Keras's ``binary_crossentropy``): y_pred are
    probabilities, clipped to [1e-7, 1 - 1e-7]; dL/dp = (p - y) / (N p (1 - p)).
    ``from_logits=True`` (``nn.BCEWithLogitsLoss``): p = sigmoid(z) inside, computed
    stably as max(z, 0) - z y + log(1 + e^-|z|); dL/dz = (sigmoid(z) - y) / N.
    y_pred has shape (N,) or (N, 1); y_true has N values in [0, 1].
    """

    def __init__(self, from_logits: bool = False):
        self.from_logits = bool(from_logits)

    @property
    def name(self) -> str:  # type: ignore[override]
        return "binary_crossentropy"

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
        """y_pred (N,) or (N, 1), y_true N values in [0, 1], weights (N,) -> mean loss."""
        x = _as_float_array(y_pred, "y_pred")
        if not (x.ndim == 1 or (x.ndim == 2 and x.shape[1] == 1)):
            raise ValueError(
                f"BinaryCrossEntropy: y_pred has shape {x.shape}; expected (N,) or (N, 1), one score per "
                "sample (use CrossEntropy for K > 1 classes)"
            )
        y = np.asarray(y_true)
        n = x.shape[0]
        if y.size != n or (y.ndim >= 1 and y.shape[0] != n):
            raise ValueError(f"BinaryCrossEntropy: y_true has shape {y.shape}; expected ({n},) or ({n}, 1)")
        y = y.reshape(x.shape).astype(x.dtype, copy=False)
        if y.size and (y.min() < 0 or y.max() > 1):
            raise ValueError("BinaryCrossEntropy: y_true must lie in [0, 1] (0/1 labels or probabilities)")
        scale = x.dtype.type(1.0 / max(n, 1))
        if self.from_logits:
            # log(1 + e^z) - z y written so that e^(...) never overflows.
            losses = np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
            e = np.exp(-np.abs(x))
            p = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
            self._grad = (p - y) * scale
        else:
            p = np.clip(x, PROB_EPS, 1 - PROB_EPS)
            losses = -(y * np.log(p) + (1 - y) * np.log(1 - p))
            self._grad = (p - y) / (p * (1 - p)) * scale
        w = _sample_weights(sample_weight, n, x.dtype, "BinaryCrossEntropy")
        if w is None:
            return float(losses.sum(dtype=np.float64)) / max(n, 1)
        self._grad *= _per_row(w, x.ndim)
        return float(losses.reshape(n).astype(np.float64) @ w.astype(np.float64)) / max(n, 1)

    def backward(self) -> np.ndarray:
        """dL/dy_pred, shape of y_pred: (sigmoid(z) - y)/N from logits, (p - y)/(N p (1-p)) otherwise."""
        self._require_forward()
        return self._grad

    def get_config(self) -> dict[str, Any]:
        return {"from_logits": self.from_logits}


# ---------------------------------------------------------------------------------
# Look-up by name
# ---------------------------------------------------------------------------------
LOSSES: dict[str, Any] = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "cross_entropy": lambda: CrossEntropy(from_logits=True),
    "categorical_crossentropy": lambda: CrossEntropy(from_logits=False),
    "sparse_categorical_crossentropy": lambda: CrossEntropy(from_logits=False),
    "binary_crossentropy": BinaryCrossEntropy,
}
"""Loss names for ``get``: PyTorch's 'cross_entropy' takes logits, Keras's names take probabilities."""

LOSS_CLASSES: dict[str, type[Loss]] = {
    cls.__name__: cls for cls in (MeanSquaredError, CrossEntropy, BinaryCrossEntropy)
}
"""Loss classes by class name, to rebuild a loss from ``(class name, get_config())``."""


def get(loss: str | Loss) -> Loss:
    """A Loss from a name ('mse', 'cross_entropy', 'categorical_crossentropy', ...) or a Loss instance."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str):
        key = loss.strip().lower()
        if key in LOSSES:
            return LOSSES[key]()
        raise ValueError(f"unknown loss {loss!r}; expected one of {sorted(LOSSES)} or a glassnet.losses.Loss")
    raise TypeError(f"loss must be a name or a glassnet.losses.Loss, got {type(loss).__name__}")
