"""Hyperparameter sweeps without the database: the W&B sweep config (config.py), the
search methods (methods.py), hyperband early termination (hyperband.py) and parameter
importance (importance.py). services/sweeps.py puts them to work on Sweep rows."""
