"""Keras's callbacks (glassnet.keras.callbacks): glassnet's, which take Keras's arguments and hook names.

``Callback`` subclasses receive Keras's hooks (``on_train_batch_end``, ``on_test_*``,
``on_predict_*``, with ``on_batch_*`` as aliases); ``EarlyStopping``, ``ModelCheckpoint``,
``ReduceLROnPlateau``, ``LearningRateScheduler``, ``TerminateOnNaN`` and ``History`` have
Keras's arguments and defaults and log ``learning_rate`` as Keras does.
"""
from __future__ import annotations

from ..callbacks import (Callback, EarlyStopping, History, LearningRateScheduler, ModelCheckpoint, ReduceLROnPlateau,
                         TerminateOnNaN)
from ..progress import ProgressBar as ProgbarLogger

__all__ = ["Callback", "EarlyStopping", "History", "LearningRateScheduler", "ModelCheckpoint", "ProgbarLogger",
           "ReduceLROnPlateau", "TerminateOnNaN"]
