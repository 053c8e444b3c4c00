"""The fast convolution's loop over groups of images, in one numba call (float32, when ``blas.AVAILABLE``).

``conv_fast.conv2d_forward`` / ``conv2d_backward`` read as the algorithm: for each group of
images, im2col, one product, a reorder. These two kernels are that same loop, word for word,
with the products done by NumPy's own sgemm (:mod:`.blas`) instead of ``@``. The only reason
they exist is threads: a Python loop hands CPython's GIL back and forth with the other
thread at every call inside it (about 30 µs each on a 2-core machine), one kernel hands it
over once. Same numbers as the Python loop up to float32 rounding (tests compare them).

Import this module only when ``blas.AVAILABLE`` is True: its kernels call a symbol that
module registers.
"""
from __future__ import annotations

import numpy as np
from numba import njit, types

from .blas import NO_TRANS, ROW_MAJOR, SYMBOL, TRANS
from .conv_kernels import col2im_rows, im2col_rows, nchw_to_rows, rows_to_nchw
from .jit import JIT

_I = types.int64  # ILP64: every size is a 64-bit integer; pointers are passed as addresses
_cblas_sgemm = types.ExternalFunction(
    SYMBOL, types.void(types.int32, types.int32, types.int32, _I, _I, _I, types.float32, _I, _I, _I, _I, types.float32, _I, _I)
)


@njit(**JIT)
def gemm(trans_a, trans_b, alpha, A, B, beta, C):  # pragma: no cover - compiled
    """C (M, N) = alpha · op(A) @ op(B) + beta · C; op transposes when asked; C-contiguous float32."""
    M, N = C.shape
    K = A.shape[0] if trans_a else A.shape[1]
    _cblas_sgemm(ROW_MAJOR, TRANS if trans_a else NO_TRANS, TRANS if trans_b else NO_TRANS, M, N, K,
                 np.float32(alpha), A.ctypes.data, A.shape[1], B.ctypes.data, B.shape[1],
                 np.float32(beta), C.ctypes.data, N)


@njit(**JIT)
def conv_forward(x, W2, bias, KH, KW, SH, SW, DH, DW, PT, PL, OH, OW, per, y):  # pragma: no cover - compiled
    """x (N, C, H, W), W2 (OC, C·KH·KW), bias (OC,) -> y (N, OC, OH·OW), ``per`` images per group."""
    N = x.shape[0]
    OC, CKK = W2.shape
    P = OH * OW
    col_buffer = np.empty(CKK * per * P, dtype=np.float32)
    z_buffer = np.empty(OC * per * P, dtype=np.float32)
    for start in range(0, N, per):
        stop = min(N, start + per)
        n = (stop - start) * P
        col = col_buffer[: CKK * n].reshape((CKK, n))
        z = z_buffer[: OC * n].reshape((OC, n))
        im2col_rows(x[start:stop], KH, KW, SH, SW, DH, DW, PT, PL, OH, OW, col)
        gemm(False, False, 1.0, W2, col, 0.0, z)  # z = W @ col
        rows_to_nchw(z, bias, y[start:stop])  # + b, written as (n, oc, p)


@njit(**JIT)
def conv_backward(x, grad, W2, KH, KW, SH, SW, DH, DW, PT, PL, OH, OW, per, need_dx, transposed, dW_sum, db,
                  dx):  # pragma: no cover - compiled
    """x (N, C, H, W), grad (N, OC, OH·OW) -> summed into: dW_sum (C·KH·KW, OC) if transposed else (OC, C·KH·KW),
    db (OC,) float64; dx (N, C, H, W) if need_dx."""
    N = x.shape[0]
    OC, CKK = W2.shape
    P = OH * OW
    col_buffer = np.empty(CKK * per * P, dtype=np.float32)
    rows_buffer = np.empty(OC * per * P, dtype=np.float32)
    dcol_buffer = np.empty(CKK * per * P if need_dx else 0, dtype=np.float32)
    db_part = np.empty(OC, dtype=np.float32)
    for start in range(0, N, per):
        stop = min(N, start + per)
        n = (stop - start) * P
        col = col_buffer[: CKK * n].reshape((CKK, n))
        rows = rows_buffer[: OC * n].reshape((OC, n))
        im2col_rows(x[start:stop], KH, KW, SH, SW, DH, DW, PT, PL, OH, OW, col)
        nchw_to_rows(grad[start:stop], rows, db_part)  # grad as (OC, n·P), and Σ grad per filter
        for oc in range(OC):
            db[oc] += db_part[oc]
        if transposed:
            gemm(False, True, 1.0, col, rows, 1.0, dW_sum)  # dWᵀ += col @ rowsᵀ
        else:
            gemm(False, True, 1.0, rows, col, 1.0, dW_sum)  # dW += rows @ colᵀ
        if need_dx:
            dcol = dcol_buffer[: CKK * n].reshape((CKK, n))
            gemm(True, False, 1.0, W2, rows, 0.0, dcol)  # Wᵀ @ rows
            col2im_rows(dcol, KH, KW, SH, SW, DH, DW, PT, PL, OH, OW, dx[start:stop])
