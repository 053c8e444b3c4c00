"""``glassnet predict MODEL_FILE IMAGE...``: class probabilities for image files."""
from __future__ import annotations

import argparse

import numpy as np

from ..data.images import read_model_input
from ..demo.inference import framing_for
from ..layers.activations import softmax
from ..modelfile import load_model_file
from .common import EXIT_OK, CLIError, say


def cmd_predict(args: argparse.Namespace) -> int:
    """glassnet predict MODEL_FILE IMAGE...: class probabilities for each image."""
    model, metadata = load_model_file(args.model_file)
    shape = model.input_shape or ()
    if len(shape) != 3:
        raise CLIError(f"the model takes samples of shape {shape}, not images")
    framing = framing_for(metadata["dataset"], shape[1:]) if args.frame == "auto" else None
    class_names = metadata["class_names"]
    for path in args.images:
        image, steps = read_model_input(path, shape, args.invert, framing)
        scores = model.predict(image[None])[0]
        probabilities = softmax(scores.astype(np.float64))
        names = class_names if class_names and len(class_names) == len(probabilities) else \
            [str(i) for i in range(len(probabilities))]
        best = int(probabilities.argmax())
        say(f"{path}: {names[best]} ({100 * probabilities[best]:.1f}%)   [{'; '.join(steps)}]")
        order = np.argsort(-probabilities) if args.sort else range(len(probabilities))
        width = max(len(n) for n in names)
        for i in order:
            say(f"  {names[i]:>{width}}: {probabilities[i]:.4f}")
    return EXIT_OK
