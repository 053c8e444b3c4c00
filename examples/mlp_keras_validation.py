"""Keras lesson: MLP 784-128-128-10 on MNIST, trained on 50,000 images and validated on the other 10,000.

The course (Keras) kept the first 10,000 training images for validation, compiled with
optimizer="rmsprop" (Keras's RMSprop: lr 0.001, rho 0.9) and categorical cross-entropy,
and trained 21 epochs in batches of 64: val_accuracy 0.9780 after the last epoch (0.9743
the epoch before). It then drew the confusion matrix of the 10,000 test images.

    python examples/mlp_keras_validation.py
    python examples/mlp_keras_validation.py --quick
"""
from _common import load, parse_args, result, course_report, train


def main() -> None:
    args = parse_args(__doc__, epochs=21)
    ds = load("mnist", args.quick).hold_out(100 if args.quick else 10000)  # the first 10,000 validate
    model, history, seconds = train("mlp_keras", ds.x_train, ds.y_train, epochs=args.epochs, seed=args.seed,
                                    validation_data=ds.valid)
    val_accuracy = history.history["val_accuracy"]
    print(f"\nValidation accuracy per epoch: {' '.join(f'{v:.4f}' for v in val_accuracy)}")
    text, accuracy = course_report(model, ds.x_test, ds.y_test, ds.class_names)
    print(text)
    result("mlp_keras on MNIST, validation", f"val_accuracy {val_accuracy[-1]:.4f} (test {accuracy:.2%})",
           "val_accuracy 0.9780", args.epochs, seconds, args.seed)


if __name__ == "__main__":
    main()
