"""Step 8, colour classification: a DNN on grayscale pixels against the tiny colour CNN on RGB.

The course generated 28x28 images of shapes in six colours. Its DNN (784-128-64-6, on
the images turned gray by 0.299 R + 0.587 G + 0.114 B) trained 100 epochs with SGD and
reached 81.6 % on the test set ("75-85 % if run again"), failing mostly on thin lines.
Its CNN (table 18-1: conv 2@1x1, pool, conv 3@3x3, pool, FC 32 + BatchNorm, 6) sees the
colours and reached 96.3 % after 20 epochs (17 s).

glassnet's generated set (glassnet.data.load_colors: 5,000 training, 1,000 test images)
draws every shape at any size, place and angle, so only the colour tells the class.

    python examples/step8_colors.py --seed 0
    python examples/step8_colors.py --quick
"""
import numpy as np

from glassnet import data

from _common import QUICK_TEST, load, parse_args, result, course_report, train


def accuracy_by_shape(model, x: np.ndarray, y: np.ndarray, shapes: np.ndarray) -> str:
    """Test accuracy for each shape drawn (the course saw its DNN fail on thin lines)."""
    right = model.predict(x).argmax(axis=1) == y
    return ", ".join(f"{name} {right[shapes == k].mean():.1%}"
                     for k, name in enumerate(data.synthetic.SHAPES) if np.any(shapes == k))


def main() -> None:
    args = parse_args(__doc__, epochs=20)
    ds = load("colors", args.quick)
    # load_colors makes its 5,000 + 1,000 images from seed 0 in one go; so does this, also giving the shapes.
    _, labels, shapes = data.make_colors(6000, seed=0, with_shapes=True)
    test_shapes = shapes[-1000:][: QUICK_TEST if args.quick else None]
    assert np.array_equal(labels[-1000:][: len(ds.y_test)], ds.y_test)

    print("=== color_dnn on grayscale images ===")
    gray_train, gray_test = data.to_grayscale(ds.x_train), data.to_grayscale(ds.x_test)
    dnn, _, dnn_seconds = train("color_dnn", gray_train, ds.y_train, epochs=args.epochs, seed=args.seed)
    text, dnn_accuracy = course_report(dnn, gray_test, ds.y_test, ds.class_names)
    print(text)
    print("By shape:", accuracy_by_shape(dnn, gray_test, ds.y_test, test_shapes))

    print("\n=== color_cnn on RGB images ===")
    cnn, _, cnn_seconds = train("color_cnn", ds.x_train, ds.y_train, epochs=args.epochs, seed=args.seed)
    text, cnn_accuracy = course_report(cnn, ds.x_test, ds.y_test, ds.class_names)
    print(text)
    print("By shape:", accuracy_by_shape(cnn, ds.x_test, ds.y_test, test_shapes))

    result("color_dnn on colors (gray)", f"test accuracy {dnn_accuracy:.2%}", "81.6% after 100 epochs",
           args.epochs, dnn_seconds, args.seed)
    result("color_cnn on colors", f"test accuracy {cnn_accuracy:.2%}", "96.3% after 20 epochs, 17 s",
           args.epochs, cnn_seconds, args.seed)


if __name__ == "__main__":
    main()
