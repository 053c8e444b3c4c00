"""The Chinese catalogue (简体中文): the same keys as en.py. A key missing here is shown in English."""
from __future__ import annotations

MESSAGES: dict[str, str] = {
    # MNIST: the digits
    **{f"class:{d}": str(d) for d in range(10)},
    # Fashion-MNIST
    "class:T-shirt/top": "T恤/上衣",
    "class:Trouser": "裤子",
    "class:Pullover": "套头衫",
    "class:Dress": "连衣裙",
    "class:Coat": "外套",
    "class:Sandal": "凉鞋",
    "class:Shirt": "衬衫",
    "class:Sneaker": "运动鞋",
    "class:Bag": "包",
    "class:Ankle boot": "短靴",
    # CIFAR-10
    "class:airplane": "飞机",
    "class:automobile": "汽车",
    "class:bird": "鸟",
    "class:cat": "猫",
    "class:deer": "鹿",
    "class:dog": "狗",
    "class:frog": "青蛙",
    "class:horse": "马",
    "class:ship": "船",
    "class:truck": "卡车",
    # synthetic: colors
    "class:red": "红色",
    "class:green": "绿色",
    "class:blue": "蓝色",
    "class:yellow": "黄色",
    "class:cyan": "青色",
    "class:magenta": "品红色",
    # synthetic: shapes
    "class:circle": "圆形",
    "class:rectangle": "矩形",
    "class:triangle": "三角形",
    "class:diamond": "菱形",
    "class:line": "线条",
    # synthetic: shape_colors
    "class:red circle": "红色圆形",
    "class:green circle": "绿色圆形",
    "class:blue circle": "蓝色圆形",
    "class:red rectangle": "红色矩形",
    "class:green rectangle": "绿色矩形",
    "class:blue rectangle": "蓝色矩形",
    "class:red triangle": "红色三角形",
    "class:green triangle": "绿色三角形",
    "class:blue triangle": "蓝色三角形",
    # step 8: the nine classic 3x3 kernels (the course's own names)
    "kernel:sharpen": "锐化",
    "kernel:vertical edge": "检测竖边",
    "kernel:surround": "周边",
    "kernel:Sobel-y": "Sobel-Y",
    "kernel:identity": "原图",
    "kernel:horizontal edge": "横边检测",
    "kernel:blur": "模糊",
    "kernel:Sobel-x": "Sobel-X",
    "kernel:emboss": "浮雕",
}
