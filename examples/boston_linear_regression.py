"""Keras lesson: linear regression with one neuron, house price from one feature (average number of rooms).

The course took Boston housing's feature 5 (RM, rooms per dwelling) from Keras's
404 / 102 split, built Dense(1) on it, compiled with RMSprop(learning_rate=0.005) and
mean squared error, and trained 101 epochs in batches of 16 with validation_split=0.3:
loss 53.89, val_loss 74.05 at the end. Its predictions for 3..7 rooms:

    $11.0K  $14.4K  $17.9K  $21.3K  $24.8K

Those are not the least-squares line: the features are not scaled, so the slope and the
intercept learn at very different speeds and 101 epochs end far from the best fit (the
script prints the least-squares line too).

    python examples/boston_linear_regression.py
    python examples/boston_linear_regression.py --quick

`glassnet train linear_regression` runs the same lesson and draws its figures (price against
rooms, the loss curves); `--features all` trains the neuron on all 13 features instead.
"""
import numpy as np

from glassnet import data, zoo
from glassnet.data.boston import select_features

from _common import parse_args, result, train


def main() -> None:
    args = parse_args(__doc__, epochs=101)
    ds = data.load_boston()
    features = zoo.get_spec("linear_regression").training.features  # ("RM",): "Average Number of Rooms"
    x_train, x_test = select_features(ds.x_train, features), select_features(ds.x_test, features)
    model, history, seconds = train("linear_regression", x_train, ds.y_train, epochs=args.epochs,
                                    seed=args.seed, verbose=0)
    print(f"After {args.epochs} epochs: loss {history.history['loss'][-1]:.2f}, "
          f"val_loss {history.history['val_loss'][-1]:.2f} (the course: 53.89, 74.05)")
    print(f"Test MSE: {model.evaluate(x_test, ds.y_test, return_dict=True)['loss']:.2f}")
    w, b = (float(p.reshape(-1)[0]) for p in model.get_weights())
    slope, intercept = np.polyfit(x_train[:, 0].astype(np.float64), ds.y_train.astype(np.float64), 1)
    print(f"Learnt line: price = {w:.2f} * rooms {b:+.2f};  least squares: price = {slope:.2f} * rooms {intercept:+.2f}")

    predicted = zoo.predicted_prices(model)
    for line, c in zip(zoo.price_lines(zoo.LESSON_ROOMS, predicted), zoo.LESSON_PRICES):
        print(f"{line}   (course: ${c}K)")
    figure = " ".join(f"${int(p * 10) / 10}K" for p in predicted)
    result("linear_regression on Boston (rooms)", f"3..7 rooms: {figure}",
           " ".join(f"${c}K" for c in zoo.LESSON_PRICES), args.epochs, seconds, args.seed)


if __name__ == "__main__":
    main()
