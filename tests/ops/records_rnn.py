"""Op records for the fused recurrent-cell primitives (lamina.ops.rnn)."""
import numpy as np

from lamina.ops import rnn

from .harness import OpRecord


def _lstm_step(z, c):
    """One LSTM step in float64 NumPy: gates i, f, c, o along the last axis."""
    def sigmoid(x):
        return 1.0 / (1.0 + np.exp(-x))
    z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)
    new_c = sigmoid(z_f) * c + sigmoid(z_i) * np.tanh(z_c)
    return np.stack([sigmoid(z_o) * np.tanh(new_c), new_c])


RECORDS = [
    OpRecord("ops.rnn.lstm_gates", rnn.lstm_gates, _lstm_step,
             [((3, 8), (3, 2)), ((1, 20), (1, 5)), ((4, 4), (4, 1))], grad2=True),
]
