"""Step 8: a small CNN on Fashion-MNIST (conv 32@3x3, pool, FC 128, 10), with the per-class report.

The course compared a feed-forward network with this CNN on Fashion-MNIST: of 32 sample
images the CNN got one wrong (an ankle boot taken for a sandal). The step-8 document
gives no test accuracy for it.

    python examples/step8_fashion_cnn.py
    python examples/step8_fashion_cnn.py --quick
"""
from _common import load, parse_args, result, course_report, train


def main() -> None:
    args = parse_args(__doc__, epochs=10)
    ds = load("fashion_mnist", args.quick)
    model, _, seconds = train("fashion_cnn", ds.x_train, ds.y_train, epochs=args.epochs, seed=args.seed)
    text, accuracy = course_report(model, ds.x_test, ds.y_test, ds.class_names)
    print(text)
    wrong = (model.predict(ds.x_test[:32]).argmax(axis=1) != ds.y_test[:32]).sum()
    print(f"\nOf the first 32 test images, {wrong} wrong (the course: 1 of its 32)")
    result("fashion_cnn on Fashion-MNIST", f"test accuracy {accuracy:.2%}, {wrong} of the first 32 wrong",
           "1 of 32 sample images wrong, no accuracy given", args.epochs, seconds, args.seed)


if __name__ == "__main__":
    main()
