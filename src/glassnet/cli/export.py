"""``glassnet export MODEL_FILE --onnx out.onnx [--torch state.safetensors]``: a glassnet model for other runtimes.

``--onnx`` writes the ONNX graph (``glassnet.interop.export_onnx``: opset ``ONNX_OPSET``,
any batch size, the model file's class names, dataset and zoo name in its metadata), for
onnxruntime or Netron; it needs the onnx package (``pip install "glassnet[onnx]"``).
``--torch`` writes the weights as a PyTorch state_dict in safetensors
(``glassnet.interop.save_torch_state_dict``), keys ``0.weight`` ... as in an ``nn.Sequential``
of the same layers.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..i18n import tr
from ..interop import ONNX_OPSET, export_onnx, save_torch_state_dict
from ..modelfile import load_model_file
from .common import EXIT_OK, CLIError, say


def add_export_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``export`` sub-command."""
    p = sub.add_parser("export", help="write a model file as ONNX (onnxruntime, Netron) or a PyTorch state_dict",
                       description="Export a glassnet model file: --onnx writes an ONNX graph (any batch size, class "
                                   "names in its metadata; needs pip install \"glassnet[onnx]\"), --torch a PyTorch "
                                   "state_dict in safetensors.")
    p.add_argument("model_file", metavar="MODEL_FILE", help="a glassnet model file (.safetensors)")
    p.add_argument("--onnx", metavar="OUT.onnx", help="the ONNX file to write")
    p.add_argument("--torch", metavar="OUT.safetensors",
                   help="the PyTorch state_dict to write (net.load_state_dict(safetensors.torch.load_file(OUT)))")
    p.set_defaults(func=cmd_export)


def _target(option: str, value: str, suffix: str, key: str) -> Path:
    """The output path of ``option``, checked: its ending and an existing folder."""
    path = Path(value)
    if path.suffix.lower() != suffix:
        raise CLIError(tr(key, out=value))
    if not path.parent.is_dir():
        raise CLIError(tr("cli:export.folder", option=option, out=value, folder=str(path.parent)))
    return path


def cmd_export(args: argparse.Namespace) -> int:
    """glassnet export MODEL_FILE --onnx OUT / --torch OUT: load the model file, write each asked-for form."""
    if not args.onnx and not args.torch:
        raise CLIError(tr("cli:export.nothing"))
    onnx_path = _target("--onnx", args.onnx, ".onnx", "cli:export.onnx_suffix") if args.onnx else None
    torch_path = _target("--torch", args.torch, ".safetensors", "cli:export.torch_suffix") if args.torch else None
    model, info = load_model_file(args.model_file, compile=False)
    if onnx_path is not None:
        names = info["class_names"]
        if names is not None and model.output_shape != (len(names),):
            names = None  # a file whose names do not fit its outputs: the graph is still right without them
        metadata = {key: info[key] for key in ("dataset", "model") if info[key]}
        try:
            export_onnx(model, onnx_path, class_names=names, metadata=metadata)
        except ImportError:
            raise CLIError(tr("cli:export.no_onnx")) from None
        classes = tr("cli:export.classes", count=len(names)) if names else ""
        shape = ", ".join(["N", *map(str, model.input_shape or ())])
        say(tr("cli:export.onnx_written", source=args.model_file, out=str(onnx_path), opset=ONNX_OPSET,
               shape=f"({shape})", classes=classes))
    if torch_path is not None:
        save_torch_state_dict(model, torch_path)
        say(tr("cli:export.torch_written", source=args.model_file, out=str(torch_path)))
    return EXIT_OK
