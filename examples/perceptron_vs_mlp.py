"""Module 7: a one-layer perceptron against a 784-512-512-10 MLP on MNIST, with the course's per-class report.

The course (mlp.py, PyTorch) trained both for 20 epochs with SGD and printed the test
accuracy of every digit: the perceptron reached 92 % (9221/10000, test loss 0.277),
the MLP 97 % (9785/10000, test loss 0.069). "Perceptron about 2 minutes, MLP 5-6."

    python examples/perceptron_vs_mlp.py            # both, 20 epochs each
    python examples/perceptron_vs_mlp.py --quick    # a few seconds, to check it runs

MNIST comes from $GLASSNET_DATA_DIR/mnist/ (or the cache, or a download).
"""
from _common import load, parse_args, result, course_report, train

COURSE = {"perceptron": "92% (9221/10000)", "mlp": "97% (9785/10000)"}


def main() -> None:
    args = parse_args(__doc__, epochs=20)
    ds = load("mnist", args.quick)
    for name in ("perceptron", "mlp"):
        print(f"\n=== {name} ===")
        model, _, seconds = train(name, ds.x_train, ds.y_train, epochs=args.epochs, seed=args.seed)
        text, accuracy = course_report(model, ds.x_test, ds.y_test, ds.class_names)
        print(text)
        result(f"{name} on MNIST", f"test accuracy {accuracy:.2%}", COURSE[name], args.epochs, seconds, args.seed)


if __name__ == "__main__":
    main()
