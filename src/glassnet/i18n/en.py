"""The English catalogue: every text glassnet translates, by key. English is also the fallback of every language.

Keys: ``class:NAME`` is a dataset's class name as the data modules spell it (MNIST digits,
Fashion-MNIST, CIFAR-10, the synthetic sets); ``kernel:NAME`` a kernel of step 8
(``glassnet.viz.playground.CLASSIC_KERNELS``). To add a text: give it a key here, then the
same key in every other language's catalogue (zh.py); ``tr(key, **fields)`` fills ``{field}``s.
"""
from __future__ import annotations

MESSAGES: dict[str, str] = {
    # MNIST: the digits
    **{f"class:{d}": str(d) for d in range(10)},
    # Fashion-MNIST
    "class:T-shirt/top": "T-shirt/top",
    "class:Trouser": "Trouser",
    "class:Pullover": "Pullover",
    "class:Dress": "Dress",
    "class:Coat": "Coat",
    "class:Sandal": "Sandal",
    "class:Shirt": "Shirt",
    "class:Sneaker": "Sneaker",
    "class:Bag": "Bag",
    "class:Ankle boot": "Ankle boot",
    # CIFAR-10
    "class:airplane": "airplane",
    "class:automobile": "automobile",
    "class:bird": "bird",
    "class:cat": "cat",
    "class:deer": "deer",
    "class:dog": "dog",
    "class:frog": "frog",
    "class:horse": "horse",
    "class:ship": "ship",
    "class:truck": "truck",
    # synthetic: colors
    "class:red": "red",
    "class:green": "green",
    "class:blue": "blue",
    "class:yellow": "yellow",
    "class:cyan": "cyan",
    "class:magenta": "magenta",
    # synthetic: shapes
    "class:circle": "circle",
    "class:rectangle": "rectangle",
    "class:triangle": "triangle",
    "class:diamond": "diamond",
    "class:line": "line",
    # synthetic: shape_colors (colour, then shape)
    "class:red circle": "red circle",
    "class:green circle": "green circle",
    "class:blue circle": "blue circle",
    "class:red rectangle": "red rectangle",
    "class:green rectangle": "green rectangle",
    "class:blue rectangle": "blue rectangle",
    "class:red triangle": "red triangle",
    "class:green triangle": "green triangle",
    "class:blue triangle": "blue triangle",
    # step 8: the nine classic 3x3 kernels, in the order of the course's figure
    "kernel:sharpen": "sharpen",
    "kernel:vertical edge": "vertical edge",
    "kernel:surround": "surround",
    "kernel:Sobel-y": "Sobel-y",
    "kernel:identity": "identity",
    "kernel:horizontal edge": "horizontal edge",
    "kernel:blur": "blur",
    "kernel:Sobel-x": "Sobel-x",
    "kernel:emboss": "emboss",
}
