"""glassnet: a deep-learning framework written from scratch in NumPy, to read and to learn from."""
from .version import __version__
from .backend import DTYPE, seed
from .parallel import get_num_threads, set_num_threads
from . import initializers, layers
from . import losses, optimizers
from . import gradcheck
from .layers import *  # noqa: F401,F403  (Dense, Conv2D, ... at the top level)
from . import callbacks, metrics, io
from . import data
from .model import Sequential
from .io import load_model
from . import zoo
from . import viz  # figures; matplotlib itself loads on first use
from .sweep import sweep  # many training runs on every core or on Ray; glassnet.sweep is this function
