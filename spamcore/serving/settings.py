"""The verdict server's limits and knobs: one frozen dataclass, validated on construction."""

from __future__ import annotations

from dataclasses import dataclass

from spamcore.errors import ConfigError
from spamcore.model.verdicts import MAX_MESSAGE_CHARS

#: Where the serve extra comes from (the message every missing import gives).
SERVE_EXTRA = 'spamcore serve needs its extra packages: pip install "spamcore[serve]"'
#: The environment variable a token may come from (a token on the command line shows in the process list).
TOKEN_ENV = "SPAMCORE_API_TOKEN"


@dataclass(frozen=True)
class ServeSettings:
    """Limits of one server. The defaults suit a laptop: a request waits at most ``wait_ms`` for company."""

    max_batch: int = 64  # messages in one forward pass (requests are gathered up to this)
    wait_ms: float = 5.0  # how long the first request of a batch waits for others
    max_queue: int = 1024  # messages waiting for a pass; beyond it a request gets 429 and Retry-After
    max_messages: int = 256  # messages in one request (413 beyond)
    max_body_bytes: int = 1_000_000  # a request body's size (413 beyond)
    max_text_chars: int = MAX_MESSAGE_CHARS  # characters in one message (422 beyond; Classify reads the same)
    body_timeout_s: float = 10.0  # a client that has not sent its whole body by then gets 408
    log_text: bool = False  # write each message's text to the log (never unless asked)

    def __post_init__(self) -> None:
        for name, low in (("max_batch", 1), ("max_queue", 1), ("max_messages", 1), ("max_body_bytes", 64),
                          ("max_text_chars", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"{name} must be a whole number of at least {low}; got {value!r}")
        for name in ("wait_ms", "body_timeout_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 3600:
                raise ConfigError(f"{name} must be a number from 0 to 3600; got {value!r}")
