"""Step 8, shape classification: a DNN on the pixels against the shape CNN.

The course generated 28x28 images of five shapes (circle, rectangle, triangle, diamond,
line). A DNN reached 89.8 % on its test set; the CNN (conv 8@3x3 pad 1, pool, conv
16@3x3, pool, FC 32 + BatchNorm, 5) got "almost every sample right", only a very flat
triangle taken for a diamond.

glassnet's generated set (glassnet.data.load_shapes: 5,000 training, 1,000 test images)
draws every shape at any size, place and angle; rectangles and diamonds are never squares.
The DNN here is step 8's colour DNN (784-128-64) with five outputs.

    python examples/step8_shapes.py --seed 0
    python examples/step8_shapes.py --quick
"""
from _common import load, parse_args, result, course_report, train


def main() -> None:
    args = parse_args(__doc__, epochs=20)
    ds = load("shapes", args.quick)

    print("=== DNN 784-128-64-5 ===")
    dnn, _, dnn_seconds = train("color_dnn", ds.x_train, ds.y_train, epochs=args.epochs, seed=args.seed,
                                num_classes=len(ds.class_names), label="DNN 784-128-64-5 (the colour DNN's layers)")
    text, dnn_accuracy = course_report(dnn, ds.x_test, ds.y_test, ds.class_names)
    print(text)

    print("\n=== shape_cnn ===")
    cnn, _, cnn_seconds = train("shape_cnn", ds.x_train, ds.y_train, epochs=args.epochs, seed=args.seed)
    text, cnn_accuracy = course_report(cnn, ds.x_test, ds.y_test, ds.class_names)
    print(text)

    result("DNN 784-128-64-5 on shapes", f"test accuracy {dnn_accuracy:.2%}", "89.8%",
           args.epochs, dnn_seconds, args.seed)
    result("shape_cnn on shapes", f"test accuracy {cnn_accuracy:.2%}", "almost all right (one error shown)",
           args.epochs, cnn_seconds, args.seed)


if __name__ == "__main__":
    main()
