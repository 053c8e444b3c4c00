"""The language of everything a person reads: ``GLASSNET_LANG=zh|en``, ``glassnet --lang``, ``set_language``.

The language is, in this order: what ``set_language(code)`` chose (``glassnet --lang`` calls it);
else ``$GLASSNET_LANG``; else the locale: the first of ``$LC_ALL``, ``$LC_MESSAGES``, ``$LANG``
that is set, Chinese when it starts with "zh" (``LANG=zh_CN.UTF-8``), English otherwise.

The texts live in one catalogue per language, a plain dict by key: ``en.py`` and ``zh.py``.
``tr(key, **fields)`` looks a key up in the current language and falls back to English.

    >>> set_language("zh"); tr("kernel:sharpen"), class_name("Dress")
    ('锐化', '连衣裙')
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from . import en, zh

ENGLISH = "en"
CATALOGUES: Mapping[str, Mapping[str, str]] = {"en": en.MESSAGES, "zh": zh.MESSAGES}
"""Each language's catalogue by its code; English is the fallback of every key."""
LANGUAGES = tuple(CATALOGUES)

_chosen: str | None = None


def _code(text: str, where: str) -> str:
    """'zh', 'zh_CN', 'ZH-cn', 'en_US.UTF-8' -> 'zh' / 'en'; anything else is a ValueError."""
    code = text.strip().lower().replace("-", "_").split(".")[0].split("_")[0]
    if code not in CATALOGUES:
        raise ValueError(f"unknown language {text!r} in {where}; expected one of: {', '.join(LANGUAGES)}")
    return code


def locale_language(environ: Mapping[str, str] | None = None) -> str:
    """The language of the locale: the first of LC_ALL, LC_MESSAGES, LANG that is set; "zh..." -> zh, else en."""
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else ENGLISH
    return ENGLISH


def get_language() -> str:
    """The language code in use: set_language's choice, else $GLASSNET_LANG, else the locale's."""
    if _chosen is not None:
        return _chosen
    value = os.environ.get("GLASSNET_LANG", "")
    if value.strip():
        return _code(value, "$GLASSNET_LANG")
    return locale_language()


def set_language(code: str | None) -> str | None:
    """Use language ``code`` ("en" or "zh"; "zh_CN" works too) from now on; None goes back to
    $GLASSNET_LANG / the locale. Returns the previous choice (None when there was none), to restore it."""
    global _chosen
    previous = _chosen
    _chosen = None if code is None else _code(code, "set_language")
    return previous


def tr(key: str, lang: str | None = None, **fields: object) -> str:
    """The text of ``key`` in ``lang`` (default: get_language()), in English when that language lacks it,
    with ``{field}``s filled from ``fields``. An unknown key is a KeyError."""
    lang = get_language() if lang is None else _code(lang, "tr")
    text = CATALOGUES[lang].get(key)
    if text is None:
        text = CATALOGUES[ENGLISH][key]
    return text.format(**fields) if fields else text


def _named(kind: str, name: str, lang: str | None) -> str:
    key = f"{kind}:{name}"
    return tr(key, lang) if key in CATALOGUES[ENGLISH] else name


def class_name(name: str, lang: str | None = None) -> str:
    """A dataset's class name (as its data module spells it) in ``lang``; a name not in the catalogue as it is."""
    return _named("class", str(name), lang)


def class_names(names: Iterable[str], lang: str | None = None) -> list[str]:
    """Every class name of ``names`` in ``lang`` (see class_name)."""
    return [class_name(name, lang) for name in names]


def kernel_name(name: str, lang: str | None = None) -> str:
    """A step-8 kernel name (viz.playground.CLASSIC_KERNELS) in ``lang``; another name as it is."""
    return _named("kernel", str(name), lang)


__all__ = ["CATALOGUES", "LANGUAGES", "class_name", "class_names", "get_language", "kernel_name",
           "locale_language", "set_language", "tr"]
