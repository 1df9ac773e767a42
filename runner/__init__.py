"""ML Intern runner: the ML engine (data, scaffold, smoke, train, evaluate, stress, card, publish).

The runner knows nothing of GitHub; the bot drives it. Heavy libraries (torch, transformers, datasets)
are imported inside the functions that need them so that `intern --help` and the bot stay light.
"""

__version__ = "0.1.0"
