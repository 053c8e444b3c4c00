"""The ``glassnet`` help in the language in use: every parser's texts looked up in the catalogue by key.

The parsers are written in English (cli/parser.py, viz/commands.py, demo/, bench.py, ...). In
another language, ``localize(parser)`` walks the whole tree and replaces each text that has a
catalogue entry (i18n/zh.py, keys ``help:*``):

    help:description, help:epilog, help:lang ...    the top-level parser and its options (by dest)
    help:train                                       the line listing the sub-command 'train'
    help:train.description                           its description (else the listing line)
    help:train.epochs                                its option --epochs (the dest)
    help:viz.samples / help:viz.out                  'viz samples' (and, by its parent's key, its --out)

A text without an entry stays English. So do argparse's own error messages. ``{name}`` in a text is
the sub-command's name and ``{default}`` the option's default (or "the one saved with the model").
"""
from __future__ import annotations

import argparse
from typing import Any

from ..i18n import CATALOGUES, ENGLISH, get_language, tr
from .checkpoint import CHECKPOINT_NAME

FALLBACK_FIELDS = {"fallback": "shapes", "checkpoint": CHECKPOINT_NAME}
"""Fields the top-level texts use (the values parser.py puts into its English f-strings)."""


class LocalFormatter(argparse.HelpFormatter):
    """argparse's formatter with the 'usage: ' prefix from the catalogue."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, prefix=tr("help:usage") if prefix is None else prefix)


def _lookup(keys: list[str], **fields: Any) -> str | None:
    """The text of the first of ``keys`` in the catalogue (current language), fields filled; None if none has one."""
    for key in keys:
        if key in CATALOGUES[ENGLISH]:
            return tr(key, **{**FALLBACK_FIELDS, **fields})
    return None


def _localize(parser: argparse.ArgumentParser, path: str, listing: str | None) -> None:
    """Translate ``parser`` (the sub-command at ``path``, '' for glassnet itself) and its sub-commands."""
    prefix = f"help:{path}." if path else "help:"
    parent = f"help:{path.rpartition('.')[0]}." if "." in path else None
    parser.formatter_class = LocalFormatter
    parser._positionals.title = tr("help:positionals")
    parser._optionals.title = tr("help:options")
    name = path.rpartition(".")[2]
    description = _lookup([prefix + "description"]) or listing
    if description:
        parser.description = description
    if parser.epilog and _lookup([prefix + "epilog"]):
        parser.epilog = _lookup([prefix + "epilog"])
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            action.help = tr("help:help")
            continue
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                text = _lookup([f"{prefix}{choice.dest}"])
                if text:
                    choice.help = text
            for sub_name, sub in action.choices.items():
                _localize(sub, f"{path}.{sub_name}" if path else sub_name, _lookup([f"{prefix}{sub_name}"]))
            continue
        if action.help in (None, argparse.SUPPRESS):
            continue
        default = action.default if action.default not in (None, False) else tr("help:viz.saved_dataset")
        keys = [prefix + action.dest] + ([parent + action.dest] if parent else []) + ["help:" + action.dest]
        text = _lookup(keys, name=name, default=default, split=default)
        if text:
            action.help = text


def localize(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``parser`` with its help in the language in use (unchanged in English); returns it."""
    if get_language() != ENGLISH:
        _localize(parser, "", None)
    return parser


def language_in(argv: list[str]) -> str | None:
    """The value of ``--lang X`` / ``--lang=X`` before the sub-command in ``argv``, if it names a language."""
    for i, word in enumerate(argv):
        value = argv[i + 1] if word == "--lang" and i + 1 < len(argv) else \
            (word.split("=", 1)[1] if word.startswith("--lang=") else None)
        if value in CATALOGUES:
            return value
        if not word.startswith("-"):
            return None  # the sub-command: what follows is its own
    return None
