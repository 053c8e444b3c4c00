"""Write the lesson notebooks, notebooks/en/*.ipynb and notebooks/zh/*.ipynb, without outputs.

One list of cells per lesson; a markdown cell is (English, Chinese), a code cell is shared code
(its comments in English; the figures and messages follow GLASSNET_LANG, set in the first cell).
GLASSNET_QUICK=1 makes every notebook tiny (one epoch on a few hundred samples), as the tests run them.

    python notebooks/make_notebooks.py
"""
from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

SETUP = """import os
os.environ.setdefault("GLASSNET_LANG", "{lang}")   # figures, progress and messages in this language
import numpy as np
import glassnet as gn
from glassnet import data, viz, zoo
QUICK = os.environ.get("GLASSNET_QUICK") == "1"     # tiny epochs for the test suite
EPOCHS, LIMIT = (1, 600) if QUICK else (5, None)

def load(name, fallback="shapes"):
    \"\"\"A dataset through glassnet's loaders; when it cannot be had, the generated fallback (and what to do).\"\"\"
    try:
        ds = data.load(name)
    except data.DatasetNotFoundError as error:
        print(str(error).splitlines()[0])
        print(f"-> set GLASSNET_DATA_DIR to a folder with {{name}}/ (see 'glassnet datasets'); using {{fallback!r}} now")
        ds = data.load(fallback)
    if LIMIT:
        import dataclasses
        ds = dataclasses.replace(ds, x_train=ds.x_train[:LIMIT], y_train=ds.y_train[:LIMIT],
                                 x_test=ds.x_test[:LIMIT // 2], y_test=ds.y_test[:LIMIT // 2])
    return ds
"""

LESSONS = {
    "module7_mlp_and_convolution": [
        ("# Module 7: MNIST as numbers, perceptron vs MLP, convolution and pooling",
         "# 第 7 单元：把 MNIST 看成数字、感知机与多层感知机、卷积与池化"),
        ("An image is an array of numbers: 28×28 grey levels in [0, 1].",
         "一张图像就是一个数组：28×28 个取值在 [0, 1] 之间的灰度值。"),
        "mnist = load(\"mnist\")\nviz.plot_image_as_numbers(mnist.x_train[0, :, ::2, ::2])",
        ("The perceptron (one Dense layer) against the 784-512-512-10 MLP, with the course's per-class report.",
         "感知机（一个全连接层）与 784-512-512-10 的多层感知机对比，并打印课程格式的每类准确率报告。"),
        "from glassnet.report import classification_report\n"
        "for name in (\"perceptron\", \"mlp\"):\n"
        "    model = zoo.build(name, input_shape=mnist.x_train.shape[1:], num_classes=len(mnist.class_names))\n"
        "    model.compile(optimizer=\"adam\", loss=\"cross_entropy\", metrics=[\"accuracy\"])\n"
        "    model.fit(mnist.x_train, mnist.y_train, epochs=EPOCHS, batch_size=64, verbose=1)\n"
        "    loss, _ = model.evaluate(mnist.x_test, mnist.y_test)\n"
        "    print(name)\n"
        "    print(classification_report(loss, mnist.y_test, model.predict(mnist.x_test).argmax(1), mnist.class_names))",
        ("Convolution and pooling on an image: conv → ReLU → max-pool.", "图像上的卷积与池化：卷积 → ReLU → 最大池化。"),
        "viz.plot_conv_relu_pool()",
    ],
    "module8_lenet": [
        ("# Module 8: padding, stride, output size, LeNet-5", "# 第 8 单元：填充、步长、输出尺寸与 LeNet-5"),
        ("The output size is OH = (H + 2P − KH) // S + 1.", "输出尺寸为 OH = (H + 2P − KH) // S + 1。"),
        "from glassnet.ops.shapes import output_size\n"
        "for h, k, s, p in [(28, 5, 1, 2), (28, 5, 1, 0), (32, 3, 2, 1)]:\n"
        "    print(f\"H={h} KH={k} S={s} P={p} -> OH={output_size(h, k, s, p, p)}\")",
        ("LeNet-5: its layers, their shapes, and a training run.", "LeNet-5：各层、各层的形状，以及一次训练。"),
        "mnist = load(\"mnist\")\nlenet = zoo.build(\"lenet5\", input_shape=mnist.x_train.shape[1:], num_classes=len(mnist.class_names))\n"
        "lenet.compile(optimizer=\"adam\", loss=\"cross_entropy\", metrics=[\"accuracy\"])\nlenet",
        "history = lenet.fit(mnist.x_train, mnist.y_train, epochs=EPOCHS, batch_size=64, validation_split=0.1)\n"
        "viz.plot_architecture(lenet)",
        "viz.plot_history(history.history)",
    ],
    "step8_cnn_from_scratch": [
        ("# Step 8: a CNN from scratch", "# 第 8 步：从零实现卷积神经网络"),
        ("Convolution forward three ways (loops, numba, im2col): the same numbers, different times.",
         "卷积前向计算的三种实现（循环、numba、im2col）：结果相同，用时不同。"),
        "import time\nx = np.random.default_rng(0).random((2, 3, 12, 12), dtype=np.float32)\nout = {}\n"
        "for impl in (\"loops\", \"numba\", \"im2col\"):\n"
        "    conv = gn.Conv2D(4, 3, impl=impl); conv.build(x.shape[1:]); conv.params[\"W\"][...] = 0.1\n"
        "    conv.forward(x); t = time.perf_counter(); out[impl] = conv.forward(x)\n"
        "    print(f\"{impl:7s} {1e3 * (time.perf_counter() - t):8.2f} ms\")\n"
        "print(np.allclose(out[\"loops\"], out[\"im2col\"], atol=1e-5))",
        ("Backward: δ_out = δ_in ⋆ W^rot180, checked against finite differences (gradient check); pooling routes δ to the max.",
         "反向传播：δ_out = δ_in ⋆ W^rot180，用数值梯度检查；最大池化把 δ 只传给最大值。"),
        "from glassnet.gradcheck import gradcheck\nprint(gradcheck(gn.Conv2D(2, 3), np.random.default_rng(1).standard_normal((1, 1, 5, 5))))\n"
        "pool = gn.MaxPool2D(2)\nz = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)\nprint(pool.forward(z)[0, 0])\n"
        "print(pool.backward(np.ones((1, 1, 2, 2), np.float32))[0, 0])",
        ("The nine classic kernels, then the shape network and what it learned.", "九个经典卷积核，然后是形状网络及其学到的内容。"),
        "viz.plot_kernel_playground()",
        "shapes = load(\"shapes\")\nnet = zoo.build(\"shape_cnn\", input_shape=shapes.x_train.shape[1:], num_classes=len(shapes.class_names))\n"
        "net.compile(optimizer=\"adam\", loss=\"cross_entropy\", metrics=[\"accuracy\"])\n"
        "net.fit(shapes.x_train, shapes.y_train, epochs=EPOCHS, batch_size=32)\nviz.plot_feature_maps(net, shapes.x_test[:1])",
        "viz.plot_predictions(shapes.x_test[:16], shapes.y_test[:16], net.predict(shapes.x_test[:16]).argmax(1), shapes.class_names)",
    ],
    "report_mnist_cifar_vgg": [
        ("# The report: MNIST CNN, CIFAR net, VGG", "# 报告：MNIST CNN、CIFAR 网络、VGG"),
        ("The three networks of the report, layer by layer.", "报告中的三个网络，逐层查看。"),
        "for name in (\"mnist_cnn\", \"cifar_net\", \"vgg_report\"):\n    print(name, f\"{zoo.build(name).count_params():,}\")",
        ("CIFAR-10 is read from its binary version; without it, the generated colour images stand in.",
         "CIFAR-10 读取其二进制版本；没有它时用生成的彩色图像代替。"),
        "cifar = load(\"cifar10\", fallback=\"shape_colors\")\nnet = zoo.build(\"cifar_net\", input_shape=cifar.x_train.shape[1:], num_classes=len(cifar.class_names))\n"
        "net.compile(optimizer=\"adam\", loss=\"cross_entropy\", metrics=[\"accuracy\"])\n"
        "history = net.fit(cifar.x_train, cifar.y_train, epochs=EPOCHS, batch_size=32, validation_split=0.1)\n"
        "from glassnet.metrics import confusion_matrix\npred = net.predict(cifar.x_test).argmax(1)\n"
        "viz.plot_confusion_matrix(confusion_matrix(cifar.y_test, pred, len(cifar.class_names)), cifar.class_names)",
    ],
    "keras_lessons": [
        ("# The Keras lessons: one-hot, gradient descent, regression, MLP, CNN fundamentals",
         "# Keras 课程：独热编码、梯度下降、线性回归、多层感知机、CNN 基础"),
        "viz.plot_one_hot([5, 0, 4, 1, 9, 2, 1, 3], 10)",
        "viz.plot_gradient_descent()",
        ("Boston housing: one neuron on the average number of rooms (RM).", "波士顿房价：一个神经元，输入为平均房间数（RM）。"),
        "try:\n    boston = data.load(\"boston\")\nexcept data.DatasetNotFoundError as error:\n"
        "    boston = None\n    print(str(error).splitlines()[0], \"-> set GLASSNET_DATA_DIR to a folder with boston/\")\n"
        "if boston is not None:\n    rm = boston.x_train[:, list(boston.feature_names).index(\"RM\")][:, None]\n"
        "    model = zoo.build(\"linear_regression\", input_shape=(1,))\n    model.compile(optimizer=\"rmsprop\", loss=\"mse\")\n"
        "    model.fit(rm, boston.y_train, epochs=EPOCHS * 4, batch_size=16, verbose=0)\n"
        "    line = np.linspace(3, 9, 10, dtype=np.float32)[:, None]\n"
        "    display(viz.plot_regression(rm[:, 0], boston.y_train, line[:, 0], model.predict(line)[:, 0]))",
        ("The MLP with validation curves and a confusion matrix.", "带验证曲线和混淆矩阵的多层感知机。"),
        "mnist = load(\"mnist\")\nmlp = zoo.build(\"mlp_keras\", input_shape=mnist.x_train.shape[1:], num_classes=len(mnist.class_names))\n"
        "mlp.compile(optimizer=\"rmsprop\", loss=\"cross_entropy\", metrics=[\"accuracy\"])\n"
        "history = mlp.fit(mnist.x_train, mnist.y_train, epochs=EPOCHS, batch_size=64, validation_split=0.2)\nviz.plot_history(history.history)",
        "from glassnet.metrics import confusion_matrix\npred = mlp.predict(mnist.x_test).argmax(1)\n"
        "viz.plot_confusion_matrix(confusion_matrix(mnist.y_test, pred, len(mnist.class_names)), mnist.class_names)",
        ("CNN fundamentals: a Sobel kernel and max pooling.", "CNN 基础：Sobel 卷积核与最大池化。"),
        "viz.plot_conv_relu_pool(kernel=\"Sobel-x\")",
    ],
}


def notebook(cells: list, lang: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    body = [nbformat.v4.new_markdown_cell(cell[0 if lang == "en" else 1]) if isinstance(cell, tuple)
            else nbformat.v4.new_code_cell(cell) for cell in cells]
    nb.cells = [body[0], nbformat.v4.new_code_cell(SETUP.format(lang=lang)), *body[1:]]
    return nb


def main() -> None:
    for lang in ("en", "zh"):
        (HERE / lang).mkdir(exist_ok=True)
        for name, cells in LESSONS.items():
            nbformat.write(notebook(cells, lang), HERE / lang / f"{name}.ipynb")


if __name__ == "__main__":
    main()
