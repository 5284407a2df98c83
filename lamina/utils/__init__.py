"""Utilities: progress bars, and (issue 4) to_categorical, set_random_seed, plot_model."""
