"""Making and saving figures without a display: every figure is a bare Agg-backed ``Figure``.

No pyplot: pyplot keeps a global list of open figures and picks a GUI backend,
neither of which a library should do. A bare ``Figure`` with an Agg canvas draws
anywhere (a server, CI, a notebook) and is freed like any other object.
"""
from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..fileio import atomic_path
from ..i18n import ENGLISH, class_name, get_language, kernel_name, tr

DPI = 100
"""Dots per inch of saved PNGs: a figure of 8 x 6 inches is an 800 x 600 PNG."""


CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Sans CJK JP",
                "Noto Sans CJK TC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback", "SimHei",
                "Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "Heiti SC", "Arial Unicode MS",
                "AR PL UMing CN", "AR PL UKai CN")
"""Font families that draw Chinese, the preferred first; a zh figure uses the first one installed."""
_CJK_FILE_HINTS = ("cjk", "wqy", "wenquanyi", "sourcehan", "droidsansfallback", "simhei", "msyh", "pingfang",
                   "hiragino", "uming", "ukai")
NO_CJK_FONT = ("no Chinese font is installed, so figures are drawn in English; install one "
               "(Debian/Ubuntu: apt-get install fonts-noto-cjk, or fonts-wqy-microhei) and glassnet will use it")
_families: set[str] | None = None
_warned_no_font = False


def installed_font_families() -> set[str]:
    """The font families matplotlib can use, with CJK fonts installed after its font cache was built added."""
    global _families
    if _families is None:
        names = {entry.name for entry in font_manager.fontManager.ttflist}
        if not names.intersection(CJK_FAMILIES):
            for path in font_manager.findSystemFonts():
                squashed = Path(path).name.lower().replace("-", "").replace("_", "")
                if any(hint in squashed for hint in _CJK_FILE_HINTS):
                    try:
                        font_manager.fontManager.addfont(path)
                    except (OSError, RuntimeError, ValueError):
                        continue
            names = {entry.name for entry in font_manager.fontManager.ttflist}
        _families = names
    return _families


def cjk_font() -> str | None:
    """The first installed family of CJK_FAMILIES, or None."""
    installed = installed_font_families()
    return next((family for family in CJK_FAMILIES if family in installed), None)


def figure_language() -> str:
    """The language of a figure's text: get_language(), or English (said once) when no font can draw it."""
    lang = get_language()
    if lang == ENGLISH or cjk_font() is not None:
        return lang
    global _warned_no_font
    if not _warned_no_font:
        _warned_no_font = True
        warnings.warn(NO_CJK_FONT, stacklevel=2)
    return ENGLISH


def text(key: str, **fields: Any) -> str:
    """A figure's text ``key`` ('fig:...') from the catalogue in figure_language(), ``{field}``s filled."""
    return tr(key, figure_language(), **fields)


def shown_class_name(name: Any) -> str:
    """A class name as a figure shows it: in figure_language() (unknown names as they are)."""
    lang = figure_language()
    return str(name) if lang == ENGLISH else class_name(str(name), lang)


def shown_kernel_name(name: Any) -> str:
    """A step-8 kernel name as a figure shows it: in figure_language() (unknown names as they are)."""
    lang = figure_language()
    return str(name) if lang == ENGLISH else kernel_name(str(name), lang)


class GlassFigure(Figure):
    """A matplotlib Figure that shows itself as a PNG when it is a notebook cell's result.

    ``cjk_font``: the family its sans-serif text is drawn in first, so that Chinese shows as glyphs
    (set by new_figure when the language is not English and such a font is installed; else None).
    """

    cjk_font: str | None = None

    def draw(self, renderer: Any) -> None:
        if not self.cjk_font:
            return super().draw(renderer)
        fonts = [self.cjk_font, *matplotlib.rcParams["font.sans-serif"]]
        with matplotlib.rc_context({"font.sans-serif": fonts}):
            return super().draw(renderer)

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()


def new_figure(width: float, height: float) -> GlassFigure:
    """A figure of ``width`` x ``height`` inches with an Agg canvas and constrained layout."""
    fig = GlassFigure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    if get_language() != ENGLISH:
        fig.cjk_font = cjk_font()
    return fig


def save_png(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` as a PNG to ``path`` atomically (a temporary name, then a rename); return the path."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"figure path must end in .png, got {str(path)!r}")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI)
    return path


def finish(fig: GlassFigure, path: str | os.PathLike[str] | None) -> GlassFigure:
    """Save ``fig`` to ``path`` when one is given; return the figure."""
    if path is not None:
        save_png(fig, path)
    return fig


def grid_shape(n: int, ncols: int | None = None) -> tuple[int, int]:
    """(rows, cols) of a near-square grid holding ``n`` panels (``ncols`` fixes the columns)."""
    if n < 1:
        raise ValueError(f"need at least one panel, got {n}")
    cols = ncols if ncols else int(np.ceil(np.sqrt(n)))
    cols = max(1, min(cols, n))
    return int(np.ceil(n / cols)), cols


def as_images(images: Any, what: str = "images") -> np.ndarray:
    """(N, C, H, W) or (N, H, W) -> a float (N, C, H, W) array; C must be 1 or 3."""
    arr = np.asarray(images)
    if arr.ndim == 3:
        arr = arr[:, None]
    if arr.ndim != 4 or arr.shape[1] not in (1, 3):
        raise ValueError(
            f"{what} must have shape (N, C, H, W) with C = 1 or 3, or (N, H, W); got {arr.shape}"
        )
    return arr


def as_image(image: Any, what: str = "image") -> np.ndarray:
    """(C, H, W) or (H, W) -> a float (C, H, W) array; C must be 1 or 3."""
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 3 or arr.shape[0] not in (1, 3):
        raise ValueError(f"{what} must have shape (C, H, W) with C = 1 or 3, or (H, W); got {arr.shape}")
    return arr


def show_image(ax: Any, image: np.ndarray, cmap: str = "gray", **kwargs: Any) -> Any:
    """Draw one (C, H, W) image (C = 1 grey, C = 3 colour) on ``ax`` without ticks; return the AxesImage."""
    if image.shape[0] == 1:
        artist = ax.imshow(image[0], cmap=cmap, **kwargs)
    else:
        rgb = np.transpose(image, (1, 2, 0))
        if np.issubdtype(rgb.dtype, np.floating):
            rgb = np.clip(rgb, 0.0, 1.0)
        artist = ax.imshow(rgb, **kwargs)
    ax.set_xticks([])
    ax.set_yticks([])
    return artist


def label_text(label: Any, class_names: Any = None) -> str:
    """A class index as its name (in the figure's language) when names are given, else as a number."""
    index = int(label)
    if class_names is not None and 0 <= index < len(class_names):
        return shown_class_name(class_names[index])
    return str(index)
