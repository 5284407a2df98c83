"""Model-building functions for the Keras-style scikit-learn wrappers' tests: one hidden ReLU
layer, compiled with Adam (shared by test_wrappers.py and test_sklearn_checks.py)."""
import lamina as lm


def _one_hidden_layer(X, y, hidden, learning_rate, output_activation, loss):
    model = lm.Sequential([lm.Input(shape=(X.shape[1],)),
                           lm.layers.Dense(hidden, activation="relu"),
                           lm.layers.Dense(y.shape[1], activation=output_activation)])
    model.compile(optimizer=lm.optimizers.Adam(learning_rate), loss=loss)
    return model


def build_classifier(X, y, hidden=8, learning_rate=0.02):
    """A softmax classifier for the one-hot targets SKLearnClassifier passes."""
    return _one_hidden_layer(X, y, hidden, learning_rate, "softmax",
                             "categorical_crossentropy")


def build_regressor(X, y, hidden=8, learning_rate=0.02):
    """A linear regressor with one output per target column."""
    return _one_hidden_layer(X, y, hidden, learning_rate, None, "mse")
