"""The web demo: draw a digit and watch the network think, and four lessons (``glassnet demo``).

* ``preprocess`` – a drawing -> an MNIST-style 28x28 input (NumPy);
* ``inference``  – ``DemoModel``: prediction, activations, model description (no HTTP);
* ``encode``     – feature maps as compact 8-bit base64 JSON;
* ``server``     – the FastAPI app (``create_app``); ``schemas`` – its JSON API's shapes;
  ``middleware`` – body size limit, security headers, one-line hang-ups; ``running`` – uvicorn
  on a socket, with deadlines for slow clients and a cap on connections;
* ``lesson_routes`` – the lesson pages (convolution, pooling, kernels, backprop) and /api/lessons/*;
  ``lessons`` – their arithmetic, by glassnet's layers (no HTTP); ``lesson_arrays`` – their
  arguments checked; ``lesson_schemas`` – their JSON shapes;
* ``static/``    – the pages: plain HTML, CSS and JavaScript, no build step;
* ``commands``   – the ``glassnet demo`` sub-command; ``modelfile`` – the shipped LeNet-5.

The web stack is imported only when a server is created, so ``import glassnet.demo``
stays light.
"""
from .preprocess import preprocess_drawing

__all__ = ["preprocess_drawing"]
