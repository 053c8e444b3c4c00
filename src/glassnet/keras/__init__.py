"""glassnet.keras: the Keras names the course uses, over glassnet's own layers and training loop.

The course's Keras code runs with one changed import, ``tensorflow.keras`` -> ``glassnet.keras``::

    from glassnet.keras import Sequential
    from glassnet.keras.layers import Dense
    from glassnet.keras.datasets import boston_housing

    (X_train, y_train), (X_test, y_test) = boston_housing.load_data()
    model = Sequential()
    model.add(Dense(units=1, input_shape=(1,)))
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.005), loss="mse")
    history = model.fit(X_train[:, 5], y_train, batch_size=16, epochs=101, validation_split=0.3)

What is here: ``Sequential`` (``models``), ``layers`` (Dense, Conv2D, MaxPooling2D,
AveragePooling2D, Flatten, Dropout, BatchNormalization, Activation, ReLU, LeakyReLU, Softmax,
Input), ``optimizers`` (SGD, RMSprop, Adam, AdamW: Keras's arguments, defaults and rules),
``losses``, ``callbacks``, ``utils`` (to_categorical, set_random_seed) and ``datasets``
(mnist, fashion_mnist, boston_housing, cifar10). Images are channels-last here as in Keras,
and channels-first inside glassnet: the model transposes them at its edge. Each layer is a
glassnet layer (no second engine); see each module for where Keras and glassnet differ.
"""
from __future__ import annotations

from . import callbacks, datasets, layers, losses, models, optimizers, utils
from .layers import Input
from .models import Sequential, load_model
from .utils import set_random_seed

__all__ = ["Input", "Sequential", "callbacks", "datasets", "layers", "load_model", "losses", "models",
           "optimizers", "set_random_seed", "utils"]
