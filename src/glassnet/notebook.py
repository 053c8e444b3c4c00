"""Jupyter support: finding a notebook kernel, a text output redrawn in place, a model's summary as HTML.

Nothing here imports IPython unless a kernel has already loaded it, so a script or a
terminal never pays for it; every function is plain Python that the tests can call
with fakes.
"""
from __future__ import annotations

import html
import sys
from typing import Any, Callable

__all__ = ["kernel_display", "LiveText", "summary_html"]


def kernel_display() -> Callable[..., Any] | None:
    """IPython's ``display`` when this process is a Jupyter kernel writing to the cell, else None."""
    if "ipykernel" not in sys.modules or "IPython" not in sys.modules:
        return None
    ipython = sys.modules["IPython"]
    shell = ipython.get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    # stdout redirected to a file (contextlib.redirect_stdout) keeps the plain-text behaviour
    if not type(sys.stdout).__module__.startswith("ipykernel"):
        return None
    # the kernel has loaded IPython (and with it IPython.display): glassnet never imports it
    return ipython.display.display


class LiveText:
    """One text output of a notebook cell, replaced in place by each ``update``."""

    def __init__(self, display: Callable[..., Any], text: str):
        self.text = text
        self.handle = display({"text/plain": text}, raw=True, display_id=True)

    def update(self, text: str) -> None:
        """Show ``text`` instead of the current text (nothing is sent when it is the same)."""
        if text != self.text:
            self.text = text
            self.handle.update({"text/plain": text}, raw=True)


def summary_html(name: str, rows: list[tuple[str, str, int]], trainable: int, non_trainable: int) -> str:
    """A model summary as an HTML table: one (layer (type), output shape, parameters) row per layer, and the totals."""
    e = html.escape
    cell = 'style="text-align:{}; padding:2px 12px"'
    body = "".join(f"<tr><td {cell.format('left')}>{e(layer)}</td><td {cell.format('left')}>{e(shape)}</td>"
                   f"<td {cell.format('right')}>{count:,}</td></tr>" for layer, shape, count in rows)
    head = "".join(f"<th {cell.format(side)}>{title}</th>"
                   for title, side in (("Layer (type)", "left"), ("Output Shape", "left"), ("Param #", "right")))
    totals = (f"Total params: {trainable + non_trainable:,}<br>Trainable params: {trainable:,}<br>"
              f"Non-trainable params: {non_trainable:,}")
    return (f'<div><table><caption style="text-align:left">Model: &quot;{e(name)}&quot;</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table><p>{totals}</p></div>")
