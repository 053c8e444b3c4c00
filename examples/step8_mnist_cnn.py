"""Step 8: the from-scratch CNN on MNIST (conv 8@5x5, pool, conv 16@5x5, pool, FC 32 + BatchNorm, 10).

The course's step-8 document gives no accuracy or time for this network: it looks at
what it learnt, the eight 5x5 kernels of the first layer (each named by its pattern:
right diagonal, bottom, centre, ...) and the feature maps after each conv, ReLU and pool
(``glassnet viz kernels`` / ``glassnet viz feature-maps`` draw them for a saved model).

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
    result("mnist_cnn on MNIST", f"test accuracy {accuracy:.2%}", "no accuracy given (step 8 shows its kernels and feature maps)",
           args.epochs, seconds, args.seed)


if __name__ == "__main__":
    main()
