"""Step 8: the from-scratch CNN on MNIST (conv 8@5x5, pool, conv 16@5x5, pool, FC 32 + BatchNorm, 10).

The course's NumPy framework trained this network for 5 epochs in 513 s and reached
98.65 % test accuracy. It then looked at the learnt 5x5 kernels and the feature maps
(``glassnet viz kernels`` / ``glassnet viz features`` draw them for a saved model).

    python examples/step8_mnist_cnn.py
    python examples/step8_mnist_cnn.py --quick
"""
from _common import load, parse_args, result, course_report, train


def main() -> None:
    args = parse_args(__doc__, epochs=5)
    ds = load("mnist", args.quick)
    model, _, seconds = train("mnist_cnn", ds.x_train, ds.y_train, epochs=args.epochs, seed=args.seed)
    text, accuracy = course_report(model, ds.x_test, ds.y_test, ds.class_names)
    print(text)
    result("mnist_cnn on MNIST", f"test accuracy {accuracy:.2%}", "98.65% in 5 epochs, 513 s",
           args.epochs, seconds, args.seed)


if __name__ == "__main__":
    main()
