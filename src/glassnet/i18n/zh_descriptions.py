"""The Chinese catalogue's descriptions of the datasets and zoo models, and each model's lesson (part of zh.py).

``dataset:NAME`` (glassnet datasets), ``model:NAME`` (glassnet models / summary; English: the
zoo's ``ModelSpec.description``), ``course:NAME`` (glassnet train --course; English: the zoo's
``COURSE_TRAINING`` text). Kept apart only so that zh.py stays short enough to read.
"""
from __future__ import annotations

DESCRIPTIONS: dict[str, str] = {
    # --- glassnet datasets / models：每个数据集和模型库中每个模型的一行说明（data/registry.py、zoo/）---
    "dataset:mnist": "MNIST 手写数字，训练集 60,000 张 / 测试集 10,000 张，28x28 灰度图",
    "dataset:fashion_mnist": "Fashion-MNIST 服饰图片（Zalando），训练集 60,000 张 / 测试集 10,000 张，28x28 灰度图",
    "dataset:cifar10": "CIFAR-10 物体图片（二进制版），训练集 50,000 张 / 测试集 10,000 张，32x32 RGB 彩色图",
    "dataset:boston": "波士顿住房价格，13 个特征，训练集 404 条 / 测试集 102 条（Keras 的划分）",
    "dataset:colors": "合成数据：6 种颜色的随机形状，28x28 RGB，黑色背景，5,000 / 1,000 张",
    "dataset:shapes": "合成数据：5 种几何图形，大小、位置、角度随机，28x28，黑底白图",
    "dataset:shape_colors": "合成数据：3 种形状 x 3 种颜色 = 9 个类别，28x28 RGB，黑色背景",
    "model:perceptron": "第 7 单元：感知器（Perceptron），一个全连接层，784 -> 10",
    "model:mlp": "第 7 单元：多层感知器（MLP）784 -> 512 -> 512 -> 10，ReLU",
    "model:mlp_keras": "Keras 课程：多层感知器（MLP）784 -> 128 -> 128 -> 10，ReLU",
    "model:linear_regression": "Keras 课程：一个神经元，房价 = w·房间数 + b（波士顿住房，特征 RM）",
    "model:lenet5": "第 8 单元：LeNet-5，卷积 6@5x5 填充 2、池化、卷积 16@5x5、池化、120、84、10",
    "model:color_dnn": "第 8 步：颜色分类的前馈神经网络（DNN），输入灰度图，784 -> 128 -> 64 -> 6",
    "model:color_cnn": "第 8 步：颜色分类的卷积神经网络，卷积 2@1x1、卷积 3@3x3、全连接 32 + BatchNorm、6",
    "model:shape_cnn": "第 8 步：几何图形分类的卷积神经网络，卷积 8@3x3 填充 1、卷积 16@3x3、全连接 32 + BatchNorm、5",
    "model:mnist_cnn": "第 8 步：MNIST 分类的卷积神经网络，卷积 8@5x5、卷积 16@5x5、全连接 32 + BatchNorm、10",
    "model:fashion_cnn": "第 8 步：Fashion-MNIST 分类的卷积神经网络，卷积 32@3x3、池化、全连接 128、10",
    "model:cifar_net": "PyTorch 教程：CIFAR-10 网络，卷积 6@5x5、卷积 16@5x5、120、84、10",
    "model:vgg_report": "报告中用于 CIFAR-10 的 VGG：8 个 3x3 卷积 + BatchNorm、5 个最大池化、Linear(512, 10)；"
                        "9,231,114 个参数",
    "model:vgg16": "CIFAR-10 的 VGG-16：13 个 3x3 卷积 + BatchNorm、5 个最大池化、Dense 10；14,728,266 个参数",
    "model:vgg16_imagenet": "Keras 课程：ImageNet 的 VGG-16，224x224x3，13 个 3x3 卷积、FC-4096、FC-4096、FC-1000；"
                            "138,357,544 个参数",
    # glassnet train --course: the lesson each model comes from (English: zoo.COURSE_TRAINING's text)
    "course:perceptron": "第 7 单元，MNIST 感知器（SGD 0.01，批大小 20，20 轮）",
    "course:mlp": "第 7 单元，MNIST 多层感知器（MLP）（SGD 0.01，批大小 20，20 轮）",
    "course:mlp_keras": "Keras 课程，MNIST 多层感知器（RMSprop，Keras 默认学习率 0.001，批大小 64，21 轮，用 10,000 张图片验证）",
    "course:linear_regression": "Keras 课程 03，波士顿房价线性回归（RMSprop 0.005，批大小 16，101 轮，validation_split 0.3，一个特征：房间数）",
    "course:lenet5": "第 8 单元，MNIST 上的 LeNet-5（100 轮；SGD 0.01，批大小 20，与第 7 单元的训练循环相同，输出也是它的日志）",
    "course:color_dnn": "step8，颜色分类 DNN（dnn_model：SGD 0.01，批大小 16，100 轮）",
    "course:color_cnn": "step8，颜色分类 CNN（cnn_model：SGD 0.1，批大小 16，20 轮）",
}
