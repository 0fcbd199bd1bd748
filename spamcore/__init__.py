"""spamcore: BERT spam classification — data, training (frozen encoder or full fine-tuning), runs, CLI.

Import the modules you need (``spamcore.data.messages``, ``spamcore.training.loop``, ...); this package file stays
light so
that importing it does not pull in torch.
"""

__version__ = "0.2.0"
