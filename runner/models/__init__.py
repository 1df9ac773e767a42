"""The kinds of model a run trains and serves: defaults, the classical baseline, inference."""
