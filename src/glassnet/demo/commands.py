"""``glassnet demo [MODEL_FILE]``: serve the draw-a-digit page for a model on this computer."""
from __future__ import annotations

import argparse
import sys
import webbrowser
from typing import Any

import numpy as np

from .. import data
from ..data.images import convert_channels
from ..modelfile import read_user_metadata
from .inference import DemoModel, style_for
from .modelfile import check_regular_file, load_classifier, load_shipped
from .samples import Samples, load_samples

DEFAULT_PORT = 8000


def _port_number(text: str) -> int:
    """The --port value: a TCP port, 1 to 65535, or 0 for any free port (argparse reports anything else)."""
    expected = "expected a port number from 1 to 65535, or 0 for any free port"
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; {expected}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is out of range; {expected}")
    return port


def add_demo_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``demo`` sub-command to an argparse ``subparsers`` object; returns its parser."""
    parser = subparsers.add_parser(
        "demo",
        help="web page: draw a digit and watch the network think",
        description="Serve a web page where you draw and see the model's prediction, the preprocessed input, "
                    "every layer's feature maps and the first layer's kernels. Without MODEL_FILE it uses the "
                    "LeNet-5 trained on MNIST that ships with glassnet (works offline).",
    )
    parser.add_argument("model_file", nargs="?", metavar="MODEL_FILE",
                        help="an image classifier saved by glassnet (.safetensors); default: the shipped LeNet-5")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this computer only; 0.0.0.0 exposes it "
                             "to your network)")
    parser.add_argument("--port", type=_port_number, default=DEFAULT_PORT,
                        help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--samples", metavar="FILE_OR_DATASET",
                        help="sample images for the page's buttons: a samples .safetensors file (tensors images "
                             "(N, H, W) uint8 and labels (N,)) or a dataset name, e.g. fashion_mnist; default: "
                             "the dataset recorded in the model file, if it is available offline")
    parser.add_argument("--open", action="store_true", help="open the page in the default web browser")
    parser.set_defaults(func=run_demo)
    return parser


def samples_from_dataset(name: str, per_class: int = 2) -> Samples:
    """The first ``per_class`` test images of each class of a glassnet dataset, as gray uint8 (N, H, W)."""
    try:
        info = data.DATASETS[data.dataset_key(name)]
    except ValueError:
        raise ValueError(f"unknown dataset {name!r} for --samples; expected a file or one of: "
                         f"{', '.join(data.DATASETS)}") from None
    if info.task != "classification" or len(info.input_shape) != 3:
        raise ValueError(f"dataset {info.name!r} has no images to draw")
    kwargs = {"download": False} if info.needs_files else {}
    ds = info.load(raw=True, **kwargs)
    images, labels = np.asarray(ds.x_test), np.asarray(ds.y_test)
    chosen = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(len(info.class_names))])
    gray = convert_channels(images[chosen].astype(np.float32), 1)[:, 0]  # (N, C, H, W) -> (N, H, W)
    return Samples(images=np.rint(gray).astype(np.uint8), labels=labels[chosen].astype(np.int64))


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_demo(model_file: str | None, samples_option: str | None) -> tuple[Any, list[str] | None, str, Any, Samples | None]:
    """(model, class names, display name, preprocessing style, samples) for the command's arguments."""
    names: list[str] | None
    if model_file is None:
        model, names, name, samples = load_shipped()
        dataset = "mnist"
    else:
        model, names, name = load_classifier(model_file)
        dataset = read_user_metadata(model_file)["dataset"]
        samples = None
    style = style_for(dataset)
    source = samples_option or (dataset if model_file is not None else None)
    if source is not None:
        try:
            if source.endswith(".safetensors"):
                samples = load_samples(check_regular_file(source, "samples file"))
            else:
                samples = samples_from_dataset(source)
        except Exception as error:  # samples are a convenience: the demo runs without them
            if samples_option is not None:
                raise
            _say(f"glassnet demo: no sample images ({error})")
    return model, names, name, style, samples


def run_demo(args: argparse.Namespace) -> int:
    """Start the server for ``args.model_file`` (or the shipped model) and serve until Ctrl+C."""
    from .running import LOOPBACK_HOSTS, address_of, bind_socket, is_loopback, make_server
    from .server import create_app

    model, names, name, style, samples = load_demo(args.model_file, args.samples)
    demo = DemoModel(model, names, name=name, style=style)
    local = is_loopback(args.host)
    app = create_app(demo, samples=samples, allowed_hosts=list(LOOPBACK_HOSTS) if local else None)
    sock = bind_socket(args.host, args.port)
    url = address_of(sock)
    if not local:
        _say(f"glassnet demo: listening on {args.host}: anyone who can reach this address can use the page")
        if args.host in ("0.0.0.0", "::"):
            url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    print(f"glassnet demo: {name} at {url}  (press Ctrl+C to stop)", flush=True)
    print(f"glassnet demo: lessons (convolution, pooling, kernels, backpropagation) at {url}lessons/conv", flush=True)
    if args.open:
        webbrowser.open(url)
    server = make_server(app)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        # uvicorn has shut down cleanly, then re-raises the Ctrl+C it captured; that is how the demo stops.
        _say("glassnet demo: stopped")
    finally:
        sock.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run ``glassnet demo`` on its own: ``python -m glassnet.demo.commands [MODEL_FILE] ...``."""
    parser = argparse.ArgumentParser(prog="glassnet")
    add_demo_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["demo", *(sys.argv[1:] if argv is None else argv)])
    try:
        return args.func(args)
    except (OSError, ValueError) as error:
        _say(f"glassnet demo: error: {error}")
        return 1
    except KeyboardInterrupt:  # Ctrl+C before the server started (while the model loads)
        _say("glassnet demo: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
