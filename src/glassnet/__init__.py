"""glassnet: a deep-learning framework written from scratch in NumPy, to read and to learn from."""
from .backend import DTYPE, seed
from . import initializers, layers
from . import losses, optimizers
from .layers import *  # noqa: F401,F403  (Dense, Conv2D, ... at the top level)

__version__ = "0.1.0"
