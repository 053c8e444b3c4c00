"""The English catalogue's descriptions of the datasets and zoo models, and each model's lesson (part of en.py).

``dataset:NAME`` (glassnet datasets), ``model:NAME`` (glassnet models / summary; English: the
zoo's ``ModelSpec.description``), ``course:NAME`` (glassnet train --course; English: the zoo's
``COURSE_TRAINING`` text). Kept apart only so that en.py stays short enough to read.
"""
from __future__ import annotations

DESCRIPTIONS: dict[str, str] = {
    # --- glassnet datasets / models: each dataset's and zoo model's one-line description (data/registry.py, zoo/) ---
    "dataset:mnist": "MNIST handwritten digits, 60,000 train / 10,000 test, 28x28 gray",
    "dataset:fashion_mnist": "Fashion-MNIST clothing (Zalando), 60,000 train / 10,000 test, 28x28 gray",
    "dataset:cifar10": "CIFAR-10 objects (binary version), 50,000 train / 10,000 test, 32x32 RGB",
    "dataset:boston": "Boston housing prices, 13 features, 404 train / 102 test (Keras's split)",
    "dataset:colors": "synthetic: 6 colours of random shapes, 28x28 RGB on black, 5,000 / 1,000",
    "dataset:shapes": "synthetic: 5 geometric shapes at any size, place and angle, 28x28 white on black",
    "dataset:shape_colors": "synthetic: 3 shapes x 3 colours = 9 classes, 28x28 RGB on black",
    "model:perceptron": "Module 7: one Dense layer, 784 -> 10",
    "model:mlp": "Module 7: MLP 784 -> 512 -> 512 -> 10, ReLU",
    "model:mlp_keras": "Keras lesson: MLP 784 -> 128 -> 128 -> 10, ReLU",
    "model:linear_regression": "Keras lesson: one neuron, price = w·rooms + b (Boston housing, feature RM)",
    "model:lenet5": "Module 8: LeNet-5, conv 6@5x5 pad 2, pool, conv 16@5x5, pool, 120, 84, 10",
    "model:color_dnn": "Step 8: colour DNN on grayscale, 784 -> 128 -> 64 -> 6",
    "model:color_cnn": "Step 8: colour CNN, conv 2@1x1, conv 3@3x3, FC 32 + BatchNorm, 6",
    "model:shape_cnn": "Step 8: shape CNN, conv 8@3x3 pad 1, conv 16@3x3, FC 32 + BatchNorm, 5",
    "model:mnist_cnn": "Step 8: MNIST CNN, conv 8@5x5, conv 16@5x5, FC 32 + BatchNorm, 10",
    "model:fashion_cnn": "Step 8: Fashion-MNIST CNN, conv 32@3x3, pool, FC 128, 10",
    "model:cifar_net": "PyTorch tutorial: CIFAR-10 net, conv 6@5x5, conv 16@5x5, 120, 84, 10",
    "model:vgg_report": "Report: its VGG for CIFAR-10, 8 conv 3x3 + BatchNorm, 5 max-pools, Linear(512, 10); "
                        "9,231,114 parameters",
    "model:vgg16": "VGG-16 for CIFAR-10: 13 conv 3x3 + BatchNorm, 5 max-pools, Dense 10; 14,728,266 parameters",
    "model:vgg16_imagenet": "Keras lesson: VGG-16 for ImageNet, 224x224x3, 13 conv 3x3, FC-4096, FC-4096, FC-1000; "
                            "138,357,544 parameters",
    # glassnet train --course: the lesson each model comes from (English: zoo.COURSE_TRAINING's text)
    "course:perceptron": "Module 7, the MNIST perceptron (SGD 0.01, batch 20, 20 epochs)",
    "course:mlp": "Module 7, the MNIST MLP (SGD 0.01, batch 20, 20 epochs)",
    "course:mlp_keras": "Keras lesson, the MNIST MLP (RMSprop, Keras's default rate 0.001, batch 64, 21 epochs, 10,000 images validate)",
    "course:linear_regression": "Keras lesson 03, linear regression on Boston housing (RMSprop 0.005, batch 16, 101 epochs, validation_split 0.3, one feature: rooms)",
    "course:lenet5": "Module 8, LeNet-5 on MNIST (100 epochs; SGD 0.01, batch 20 as Module 7's loop, whose log it prints)",
    "course:color_dnn": "Step 8, the colour DNN (dnn_model: SGD 0.01, batch 16, 100 epochs)",
    "course:color_cnn": "Step 8, the colour CNN (cnn_model: SGD 0.1, batch 16, 20 epochs)",
}
