"""``spamcore serve``: the verdicts of Classify over HTTP for programs (mail filters, SMS gateways, scripts).

- :mod:`spamcore.serving.settings`: the server's limits, one frozen dataclass;
- :mod:`spamcore.serving.batcher`: concurrent requests gathered for a few milliseconds into one forward pass;
- :mod:`spamcore.serving.api`: the FastAPI application — routes, limits, the Bearer token, Prometheus metrics;
- :mod:`spamcore.serving.server`: the command behind ``spamcore serve``: checks, then uvicorn.

FastAPI, uvicorn and prometheus-client come with the ``serve`` extra (``pip install "spamcore[serve]"``).

Layer 7 (beside teaching and classroom). Import rule: may import the model layer (verdicts load through
:func:`spamcore.model.onnx.load_for_verdicts`) and the runs layer; never the app, the classroom or the CLI.
"""
