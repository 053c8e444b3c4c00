"""The course's Keras lessons, run on glassnet with ``tensorflow.keras`` replaced by ``glassnet.keras``.

The code below is the Keras lesson's own (``keras-course.md``: 03, linear regression on
Boston housing; 04, the MNIST MLP), copied block by block; when the course is beside the
project (``../shared/course``) a test checks that every block is still in it, word for word.
It runs after five textual swaps, each applied and counted (``SWAPS``):

* ``tensorflow.keras`` -> ``glassnet.keras``: the import swap the lessons need;
* ``import tensorflow as tf`` -> ``from glassnet import keras``, and ``tf.keras.`` ->
  ``keras.``: the two lines that reach Keras through TensorFlow's name;
* ``tf.random.set_seed(SEED_VALUE)`` -> ``keras.utils.set_random_seed(SEED_VALUE)``:
  TensorFlow's seed is Keras 3's ``set_random_seed``;
* ``int(y_pred[idx] * 10)`` -> ``int(y_pred[idx, 0] * 10)``: not Keras's doing but NumPy's.
  y_pred is (5, 1), in Keras as here, and NumPy 2.4 no longer turns a one-element array into
  an int (NumPy 1.x did, with a DeprecationWarning since 1.25), so with Keras too the line fails.

Left out: lesson 04's confusion-matrix block (``tf.argmax``, ``tf.math.confusion_matrix`` and
seaborn are TensorFlow's and seaborn's, not Keras's). The figures are caught as ``plt.show``
or the end of the lesson finds them. The lessons' numbers to reach: prices of homes with 3..7
rooms within $1K of $11.0K .. $24.8K, and val_accuracy >= 0.975 after the 21 epochs.
Real data only (GLASSNET_DATA_DIR); the MNIST lesson trains 21 epochs (~20 s on 2 threads).
"""
from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from glassnet import keras  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT.parent / "shared" / "course" / "keras-course.md"
DATA = Path(os.environ.get("GLASSNET_DATA_DIR", "/nonexistent"))

LESSON_PRICES = {3: 11.0, 4: 14.4, 5: 17.9, 6: 21.3, 7: 24.8}
"""The course's printed prices ($K) of homes with 3..7 rooms."""
LESSON_BOSTON_LOSS = (53.8947, 74.0549)
"""The course's loss and val_loss after epoch 101/101."""
LESSON_VAL_ACCURACY = 0.9780
"""The course's val_accuracy after epoch 21/21."""

SWAPS = [
    ("tensorflow.keras", "glassnet.keras"),
    ("import tensorflow as tf", "from glassnet import keras"),
    ("tf.random.set_seed(SEED_VALUE)", "keras.utils.set_random_seed(SEED_VALUE)"),
    ("tf.keras.", "keras."),
    ("int(y_pred[idx] * 10)", "int(y_pred[idx, 0] * 10)"),
]

BOSTON_LESSON = [
    # 0
    """\
import numpy as np
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Dense, Input, Activation
from tensorflow.keras.datasets import boston_housing
from tensorflow.keras import layers

import tensorflow as tf
import matplotlib.pyplot as plt

SEED_VALUE = 42

# Fix seed to make training deterministic.
np.random.seed(SEED_VALUE)
tf.random.set_seed(SEED_VALUE)
""",
    # 1
    """\
# Load the Boston housing dataset.
(X_train, y_train), (X_test, y_test) = boston_housing.load_data()

print(X_train.shape)
print("\\n")
print("Input features: ", X_train[0])
print("\\n")
print("Output target: ", y_train[0])
""",
    # 2
    """\
boston_features = {
    "Average Number of Rooms": 5,
}

X_train_1d = X_train[:, boston_features["Average Number of Rooms"]]
print(X_train_1d.shape)

X_test_1d = X_test[:, boston_features["Average Number of Rooms"]]
# (404,)
""",
    # 3
    """\
plt.figure(figsize=(15, 5))
plt.xlabel("Average Number of Rooms")
plt.ylabel("Median Price [$K]")
plt.grid("on")
plt.scatter(X_train_1d[:], y_train, color="green", alpha=0.5)
# <matplotlib.collections.PathCollection at 0x7f21bbde9d60>
""",
    # 4
    """\
model = Sequential()

# Define the model consisting of a single neuron. 包含一个单神经元
model.add(Dense(units=1, input_shape=(1,)))

# Display a summary of the model architecture.
model.summary()
""",
    # 5
    """\
model.compile(optimizer=tf.keras.optimizers.RMSprop(learning_rate=0.005), loss="mse")
""",
    # 6
    """\
history = model.fit(
    X_train_1d,
    y_train,
    batch_size=16,
    epochs=101,
    validation_split=0.3,
)
""",
    # 7
    """\
def plot_loss(history):
    plt.figure(figsize=(20,5))
    plt.plot(history.history['loss'], 'g', label='Training Loss')
    plt.plot(history.history['val_loss'], 'b', label='Validation Loss')
    plt.xlim([0, 100])
    plt.ylim([0, 300])
    plt.xlabel('Epoch')
    plt.ylabel('Loss')
    plt.legend()
    plt.grid(True)

plot_loss(history)
""",
    # 8
    """\
# Predict the median price of a home with [3, 4, 5, 6, 7] rooms.
x = [3, 4, 5, 6, 7]
y_pred = model.predict(x)
for idx in range(len(x)):
    print(f"Predicted price of a home with {x[idx]} rooms: ${int(y_pred[idx] * 10) / 10}K")
""",
    # 9
    """\
# Generate feature data that spans the range of interest for the independent variable.
x = np.linspace(3, 9, 10)

# Use the model to predict the dependent variable.
y = model.predict(x)
# 1/1 [==============================] - 0s 44ms/step

def plot_data(x_data, y_data, x, y, title=None):
    plt.figure(figsize=(15,5))
    plt.scatter(x_data, y_data, label='Ground Truth', color='green', alpha=0.5)
    plt.plot(x, y, color='k', label='Model Predictions')
    plt.xlim([3,9])
    plt.ylim([0,60])
    plt.xlabel('Average Number of Rooms')
    plt.ylabel('Price [$K]')
    plt.title(title)
    plt.grid(True)
    plt.legend()
""",
    # 10
    """\
plot_data(X_train_1d, y_train, x, y, title='Training Dataset')
""",
    # 11
    """\
plot_data(X_test_1d, y_test, x, y, title='Test Dataset')
""",
]
MLP_LESSON = [
    # 12
    """\
import random
import matplotlib.pyplot as plt
import matplotlib
import numpy as np
import tensorflow as tf

from tensorflow.keras import layers
from tensorflow.keras import Sequential
from tensorflow.keras.layers import Dense, Dropout
from tensorflow.keras.datasets import mnist
from tensorflow.keras.utils import to_categorical

from matplotlib.ticker import MultipleLocator, FormatStrFormatter

plt.rcParams["axes.titlesize"] = 16
plt.rcParams["axes.labelsize"] = 14
plt.rcParams["image.cmap"] = "gray"

from tensorflow.keras.datasets import fashion_mnist

SEED_VALUE = 42

# Fix seed to make training deterministic.
random.seed(SEED_VALUE)
np.random.seed(SEED_VALUE)
tf.random.set_seed(SEED_VALUE)
""",
    # 13
    """\
(X_train_all, y_train_all), (X_test, y_test) = mnist.load_data()

X_valid = X_train_all[:10000]
X_train = X_train_all[10000:]

y_valid = y_train_all[:10000]
y_train = y_train_all[10000:]

print(X_train.shape)
print(X_valid.shape)
print(X_test.shape)
#Downloading data from https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz
#11490434/11490434 [==============================] - 2s 0us/step
#(50000, 28, 28)
#(10000, 28, 28)
#(10000, 28, 28)

plt.figure(figsize=(18, 5))
for i in range(3):
    plt.subplot(1, 3, i + 1)
    plt.axis(True)
    plt.imshow(X_train[i], cmap="gray")
    plt.subplots_adjust(wspace=0.2, hspace=0.2)
""",
    # 14
    """\
X_train = X_train.reshape((X_train.shape[0], 28 * 28))
X_train = X_train.astype("float32") / 255

X_test = X_test.reshape((X_test.shape[0], 28 * 28))
X_test = X_test.astype("float32") / 255

X_valid = X_valid.reshape((X_valid.shape[0], 28 * 28))
X_valid = X_valid.astype("float32") / 255
""",
    # 15
    """\
# Load the Fashion MNIST dataset.
((X_train_fashion, y_train_fashion), (_, _)) = fashion_mnist.load_data()

# The labels in the Fashion MNIST dataset are encoded as integers.
print(y_train_fashion[0:9])

#Downloading data from https://storage.googleapis.com/tensorflow/tf-keras-datasets/train-labels-idx1-ubyte.gz
#29515/29515 [==============================] - 0s 1us/step
#Downloading data from https://storage.googleapis.com/tensorflow/tf-keras-datasets/train-images-idx3-ubyte.gz
#26421880/26421880 [==============================] - 3s 0us/step
#Downloading data from https://storage.googleapis.com/tensorflow/tf-keras-datasets/t10k-labels-idx1-ubyte.gz
#5148/5148 [==============================] - 0s 0us/step
#Downloading data from https://storage.googleapis.com/tensorflow/tf-keras-datasets/t10k-images-idx3-ubyte.gz
#4422102/4422102 [==============================] - 1s 0us/step

#[9 0 0 3 0 2 7 2 5]
""",
    # 16
    """\
y_train_onehot = to_categorical(y_train_fashion[0:9])
print(y_train_onehot)
""",
    # 17
    """\
# Convert integer labels to one-hot encoded vectors.
y_train = to_categorical(y_train)
y_valid = to_categorical(y_valid)
y_test  = to_categorical(y_test)
""",
    # 18
    """\
# Instantiate the model.
model = tf.keras.Sequential()

# Build the model.
model.add(Dense(128, activation='relu', input_shape=(X_train.shape[1],)))
model.add(Dense(128, activation='relu'))
model.add(Dense(10,  activation="softmax"))

# Display the model summary.
model.summary()
""",
    # 19
    """\
model.compile(
    optimizer="rmsprop",
    loss="categorical_crossentropy",
    metrics=["accuracy"],
)
""",
    # 20
    """\
training_results = model.fit(X_train,
                             y_train,
                             epochs=21,
                             batch_size=64,
                             validation_data=(X_valid, y_valid));
""",
    # 21
    """\
def plot_results(metrics, title=None, ylabel=None, ylim=None, metric_name=None, color=None):

    fig, ax = plt.subplots(figsize=(15, 4))

    if not (isinstance(metric_name, list) or isinstance(metric_name, tuple)):
        metrics = [metrics,]
        metric_name = [metric_name,]

    for idx, metric in enumerate(metrics):
        ax.plot(metric, color=color[idx])

    plt.xlabel("Epoch")
    plt.ylabel(ylabel)
    plt.title(title)
    plt.xlim([0, 20])
    plt.ylim(ylim)
    # Tailor x-axis tick marks
    ax.xaxis.set_major_locator(MultipleLocator(5))
    ax.xaxis.set_major_formatter(FormatStrFormatter('%d'))
    ax.xaxis.set_minor_locator(MultipleLocator(1))
    plt.grid(True)
    plt.legend(metric_name)
    plt.show()
    plt.close()
""",
    # 22
    """\
# Retrieve training results.
train_loss = training_results.history["loss"]
train_acc  = training_results.history["accuracy"]
valid_loss = training_results.history["val_loss"]
valid_acc  = training_results.history["val_accuracy"]

plot_results(
    [train_loss, valid_loss],
    ylabel="Loss",
    ylim=[0.0, 0.5],
    metric_name=["Training Loss", "Validation Loss"],
    color=["g", "b"],
)

plot_results(
    [train_acc, valid_acc],
    ylabel="Accuracy",
    ylim=[0.9, 1.0],
    metric_name=["Training Accuracy", "Validation Accuracy"],
    color=["g", "b"],
)
""",
    # 23
    """\
predictions = model.predict(X_test)
index = 0  # up to 9999
print("Ground truth for test digit: ", y_test[index])
print("\\n")
print("Predictions for each class:\\n")
for i in range(10):
    print("digit:", i, " probability: ", predictions[index][i])
""",
    # 24
    """\
# Generate predictions for the test dataset.
predictions = model.predict(X_test)

# For each sample image in the test dataset, select the class label with the highest probability.
predicted_labels = [np.argmax(i) for i in predictions]
# 313/313 [==============================] - 0s 1ms/step
""",
]


def swapped(blocks: list[str]) -> tuple[str, dict[str, int]]:
    """The lesson's code with ``SWAPS`` applied, and how many times each was."""
    code = "\n".join(blocks)
    counts = {}
    for old, new in SWAPS:
        counts[old] = code.count(old)
        code = code.replace(old, new)
    left = [line for line in code.splitlines() if re.search(r"\btensorflow\b|\btf\.", line.split("#")[0])]
    assert not left, f"TensorFlow names are left (outside comments): {left}"
    return code, counts


def run_lesson(blocks: list[str], name: str) -> tuple[dict, str, list]:
    """Run the swapped lesson: (its namespace, what it printed, every figure it drew or showed)."""
    code, _ = swapped(blocks)
    figures: list = []
    namespace: dict = {"__name__": f"keras_lesson_{name}"}
    stdout = io.StringIO()
    plt.close("all")
    keras.utils.clear_session()  # a new kernel for each lesson: its model is 'sequential', its first layer 'dense'
    # rc_context: lesson 04 sets plt.rcParams (title and label sizes), which must not leak into other tests
    with pytest.MonkeyPatch.context() as mp, matplotlib.rc_context():
        mp.setattr(plt, "show", lambda *a, **k: figures.append(plt.gcf()))
        with contextlib.redirect_stdout(stdout):
            exec(compile(code, f"<Keras lesson {name}, swapped>", "exec"), namespace)
    figures += [plt.figure(n) for n in plt.get_fignums() if plt.figure(n) not in figures]
    plt.close("all")
    return namespace, stdout.getvalue(), figures


needs_data = pytest.mark.skipif(
    not (DATA / "boston").is_dir() or not (DATA / "mnist").is_dir(),
    reason="needs the real Boston housing CSV and MNIST: set GLASSNET_DATA_DIR to a folder with boston/ and mnist/")


# ---------------------------------------------------------------------------------
# The code is the course's
# ---------------------------------------------------------------------------------
@pytest.mark.skipif(not COURSE.is_file(), reason=f"the course is not beside the project ({COURSE})")
def test_every_block_is_the_course_s_word_for_word():
    text = "\n".join(line.rstrip() for line in COURSE.read_text(encoding="utf-8").splitlines())
    for block in BOSTON_LESSON + MLP_LESSON:
        assert block.rstrip("\n") in text, block[:200]


def test_the_swaps_are_the_ones_listed_and_all_are_used():
    for blocks in (BOSTON_LESSON, MLP_LESSON):
        _, counts = swapped(blocks)
        assert counts["tensorflow.keras"] >= 4 and counts["import tensorflow as tf"] == 1
        assert counts["tf.random.set_seed(SEED_VALUE)"] == 1 and counts["tf.keras."] == 1
    assert swapped(BOSTON_LESSON)[1]["int(y_pred[idx] * 10)"] == 1


# ---------------------------------------------------------------------------------
# Lesson 03: one neuron on the number of rooms
# ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def boston():
    if not (DATA / "boston").is_dir():
        pytest.skip("needs the real Boston housing CSV: set GLASSNET_DATA_DIR to a folder with boston/")
    return run_lesson(BOSTON_LESSON, "03")


def test_boston_data_prints_as_in_the_lesson(boston):
    namespace, out, _ = boston
    assert out.startswith("(404, 13)\n")
    assert ("Input features:  [  1.23247   0.        8.14      0.        0.538     6.142    91.7\n"
            "   3.9769    4.      307.       21.      396.9      18.72   ]") in out
    assert "Output target:  15.2\n" in out and "\n(404,)\n" in out
    assert namespace["X_train"].dtype == np.float64 and namespace["X_test"].shape == (102, 13)


def test_boston_summary_is_the_lesson_s_table(boston):
    _, out, _ = boston
    assert ('Model: "sequential"\n' + "_" * 65 + "\n"
            " Layer (type)                Output Shape              Param #\n" + "=" * 65 + "\n"
            " dense (Dense)               (None, 1)                 2\n" + "=" * 65 + "\n"
            "Total params: 2\nTrainable params: 2\nNon-trainable params: 0\n") in out


def test_boston_trains_101_epochs_to_the_lesson_s_loss(boston):
    namespace, out, _ = boston
    history = namespace["history"].history
    assert set(history) == {"loss", "val_loss"} and len(history["loss"]) == 101
    assert "Epoch 101/101" in out
    loss, val_loss = LESSON_BOSTON_LOSS
    assert history["loss"][-1] == pytest.approx(loss, rel=0.1)
    assert history["val_loss"][-1] == pytest.approx(val_loss, rel=0.1)


def test_boston_prices_within_1k_of_the_lesson(boston):
    namespace, out, _ = boston
    printed = dict(re.findall(r"Predicted price of a home with (\d) rooms: \$(\d+\.\d)K", out))
    assert sorted(map(int, printed)) == [3, 4, 5, 6, 7]
    for rooms, price in printed.items():
        assert abs(float(price) - LESSON_PRICES[int(rooms)]) <= 1.0, (rooms, price)
    assert namespace["y_pred"].shape == (5, 1)


def test_boston_figures_are_the_lesson_s(boston):
    namespace, _, figures = boston
    assert len(figures) == 4  # the scatter, the loss curves, the line on training and on test data
    curves = figures[1].axes[0]
    assert [t.get_text() for t in curves.get_legend().get_texts()] == ["Training Loss", "Validation Loss"]
    np.testing.assert_allclose(curves.get_lines()[0].get_ydata(), namespace["history"].history["loss"])
    for figure, title in zip(figures[2:], ["Training Dataset", "Test Dataset"]):
        ax = figure.axes[0]
        assert ax.get_title() == title and ax.get_xlim() == (3, 9)
        x, y = ax.get_lines()[0].get_data()
        np.testing.assert_allclose(np.ravel(y), namespace["model"].predict(np.asarray(x), verbose=0).ravel(),
                                   rtol=1e-5)


# ---------------------------------------------------------------------------------
# Lesson 04: the MLP on MNIST with validation data
# ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mlp():
    if not (DATA / "mnist").is_dir() or not (DATA / "fashion-mnist").is_dir():
        pytest.skip("needs the real MNIST and Fashion-MNIST: set GLASSNET_DATA_DIR to a folder with mnist/, "
                    "fashion-mnist/")
    return run_lesson(MLP_LESSON, "04")


LESSON_ONE_HOT = """\
[[0. 0. 0. 0. 0. 0. 0. 0. 0. 1.]
 [1. 0. 0. 0. 0. 0. 0. 0. 0. 0.]
 [1. 0. 0. 0. 0. 0. 0. 0. 0. 0.]
 [0. 0. 0. 1. 0. 0. 0. 0. 0. 0.]
 [1. 0. 0. 0. 0. 0. 0. 0. 0. 0.]
 [0. 0. 1. 0. 0. 0. 0. 0. 0. 0.]
 [0. 0. 0. 0. 0. 0. 0. 1. 0. 0.]
 [0. 0. 1. 0. 0. 0. 0. 0. 0. 0.]
 [0. 0. 0. 0. 0. 1. 0. 0. 0. 0.]]
"""


@pytest.mark.slow
def test_mlp_data_prints_as_in_the_lesson(mlp):
    _, out, _ = mlp
    assert out.startswith("(50000, 28, 28)\n(10000, 28, 28)\n(10000, 28, 28)\n[9 0 0 3 0 2 7 2 5]\n" + LESSON_ONE_HOT)


@pytest.mark.slow
def test_mlp_summary_is_the_lesson_s_table(mlp):
    _, out, _ = mlp
    assert 'Model: "sequential"\n' in out
    rows = [" dense (Dense)               (None, 128)               100480",
            " dense_1 (Dense)             (None, 128)               16512",
            " dense_2 (Dense)             (None, 10)                1290"]
    assert ("Layer (type)                Output Shape              Param #\n" + "=" * 65 + "\n"
            + "\n\n".join(rows) + "\n" + "=" * 65 + "\n"
            "Total params: 118,282\nTrainable params: 118,282\nNon-trainable params: 0\n") in out


@pytest.mark.slow
def test_mlp_reaches_the_lesson_s_validation_accuracy_in_21_epochs(mlp):
    namespace, out, _ = mlp
    history = namespace["training_results"].history
    assert list(history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert len(history["val_accuracy"]) == 21 and "Epoch 21/21" in out
    assert history["val_accuracy"][-1] >= 0.975
    assert history["accuracy"][-1] > 0.99  # it learns its training set, as the lesson's 0.9988


@pytest.mark.slow
def test_mlp_history_plots_and_predictions(mlp):
    namespace, out, figures = mlp
    history = namespace["training_results"].history
    plots = [f for f in figures if f.axes and f.axes[0].get_ylabel() in ("Loss", "Accuracy")]
    assert [f.axes[0].get_ylabel() for f in plots] == ["Loss", "Accuracy"]
    for figure, keys in zip(plots, [("loss", "val_loss"), ("accuracy", "val_accuracy")]):
        lines = figure.axes[0].get_lines()
        for line, key in zip(lines, keys):
            np.testing.assert_allclose(line.get_ydata(), history[key])
    assert "Ground truth for test digit:  [0. 0. 0. 0. 0. 0. 0. 1. 0. 0.]\n" in out
    probabilities = [float(p) for p in re.findall(r"digit: \d  probability:  (\S+)", out)]
    assert len(probabilities) == 10 and int(np.argmax(probabilities)) == 7 and probabilities[7] > 0.99
    predictions = namespace["predictions"]
    assert predictions.shape == (10000, 10) and np.allclose(predictions.sum(axis=1), 1, atol=1e-5)
    accuracy = np.mean(np.array(namespace["predicted_labels"]) == np.argmax(namespace["y_test"], axis=1))
    assert accuracy > 0.97
