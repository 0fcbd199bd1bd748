"""The verdict API: the same honest verdict as Classify, for programs.

Routes (OpenAPI at ``/docs``):

- ``POST /v1/classify``: one message (``{"text": ..., "id"?: ...}``) or a batch (``{"messages": [{"id"?, "text"}]}``);
  per message the verdict as the app shows it (``spam`` / ``ham`` / ``not sure``), the calibrated spam
  probability, the "not sure" band, and whether only the beginning was read; the model's name, run and version with
  every answer;
- ``GET /v1/models``: what is served and its test-split figures;
- ``GET /v2/health/live`` and ``GET /v2/health/ready`` (the Open Inference Protocol's: live at once, ready once the
  model is loaded);
- ``GET /metrics``: Prometheus metrics (requests, latency, batch sizes, verdicts) from prometheus-client.

Safe by default: a body over its limit gets 413 (its Content-Length, or as it streams in), so do more messages than a
request may hold; empty, non-string or over-long text 422 naming the field; a full queue 429 with Retry-After; a body
that trickles in slower than the timeout 408. With a token, ``/v1`` and ``/metrics`` need ``Authorization: Bearer``.
Message text is never logged unless ``log_text`` asks for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel, Field, StrictInt, StrictStr, model_validator

from spamcore import __version__
from spamcore.serving.batcher import MicroBatcher, QueueFull
from spamcore.serving.settings import ServeSettings

log = logging.getLogger("spamcore.serve")

#: What the app calls its third answer (a Prediction's "unsure").
VERDICTS = {"spam": "spam", "ham": "ham", "unsure": "not sure"}


class Message(BaseModel):
    id: StrictStr | StrictInt | None = Field(default=None, description="your id for the message, echoed back")
    text: StrictStr = Field(description="the message as received")


class ClassifyRequest(BaseModel):
    """One message (``text``, optional ``id``) or a batch (``messages``)."""

    messages: list[Message] | None = None
    text: StrictStr | None = None
    id: StrictStr | StrictInt | None = None

    @model_validator(mode="after")
    def _one_or_a_batch(self) -> ClassifyRequest:
        if (self.messages is None) == (self.text is None):
            raise ValueError('send either "text" (one message) or "messages" (a list of {"id"?, "text"})')
        return self

    def all_messages(self) -> list[Message]:
        return self.messages if self.messages is not None else [Message(id=self.id, text=self.text)]


class Band(BaseModel):
    low: float
    high: float


class Verdict(BaseModel):
    id: StrictStr | StrictInt | None
    verdict: str = Field(description='"spam", "ham" or "not sure" (as Classify shows it)')
    spam_probability: float = Field(description="calibrated on the run's validation split")
    band: Band = Field(description='spam probabilities from low to high get "not sure"')
    truncated: bool = Field(description="only the beginning was read (the model's length limit)")


class ModelInfo(BaseModel):
    name: str
    run: str
    version: str = Field(description="the first 12 hex digits of the weights' sha256, and spamcore's version")


class ClassifyResponse(BaseModel):
    model: ModelInfo
    results: list[Verdict]


class Served:
    """The model behind the API: loaded on a thread at start-up, so that ``live`` answers at once and ``ready`` only
    once it can classify."""

    def __init__(self, load: Callable[[], Any], info: Callable[[Any], dict]) -> None:
        self.classifier = None
        self.info: dict = {}
        self.error: str | None = None
        self.ready = threading.Event()
        self._load, self._describe = load, info

    def load(self) -> None:
        try:
            classifier = self._load()
            self.info = self._describe(classifier)
            self.classifier = classifier
            self.ready.set()
        except Exception as err:  # shown on /v2/health/ready and in the log; the process stays up to say so
            self.error = f"{type(err).__name__}: {err}"
            log.error("the model could not be loaded: %s", self.error)


def run_model(run_dir: str | Path) -> tuple[Callable[[], Any], Callable[[Any], dict]]:
    """How to load a saved run, and what the API says about it (name, run, version, test-split figures)."""
    from spamcore.model.onnx import load_for_verdicts, weights_digest, weights_file
    from spamcore.model.ready import resolve
    from spamcore.runs.store import read_run

    path = resolve(run_dir).expanduser().resolve()  # bundled:spamcore-ready is the shipped folder

    def describe(classifier) -> dict:
        info = read_run(path)
        # the ready model: its delta from the bundled MiniLM is what versions it
        digest = weights_digest(weights_file(path, classifier.config.recipe))
        metrics = info.metrics or {}
        spam = metrics.get("classes", {}).get("spam", {})
        test = {"messages": metrics.get("n"), "accuracy": metrics.get("accuracy"), "spam_precision":
                spam.get("precision"), "spam_recall": spam.get("recall"), "spam_f1": spam.get("f1")}
        return {"name": info.model_name,
                "run": info.name, "version": f"{digest[:12]} (spamcore {__version__})",
                "recipe": classifier.config.recipe, "engine": classifier.engine, "threshold": classifier.threshold,
                "band": {"low": classifier.unsure_band.low, "high": classifier.unsure_band.high},
                "test": {k: v for k, v in test.items() if v is not None}}

    return (lambda: load_for_verdicts(path, notice=log.warning)), describe


class _Metrics:
    """Prometheus metrics in a registry of this app's own (two apps in one process do not collide)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("spamcore_requests", "HTTP requests by route and status", ["route", "status"],
                                registry=self.registry)
        self.latency = Histogram("spamcore_request_seconds", "time to answer a request", ["route"],
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10), registry=self.registry)
        self.batch = Histogram("spamcore_batch_messages", "messages per forward pass",
                               buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256), registry=self.registry)
        self.verdicts = Counter("spamcore_verdicts", "verdicts given", ["verdict"], registry=self.registry)


def create_app(load: Callable[[], Any], describe: Callable[[Any], dict], *, token: str | None = None,
               settings: ServeSettings | None = None) -> FastAPI:
    """The API around the model ``load`` returns (``describe`` says what it is: :func:`run_model`)."""
    settings = settings or ServeSettings()
    served = Served(load, describe)
    metrics = _Metrics()
    batcher = MicroBatcher(lambda texts: served.classifier.predict(texts), settings.max_batch, settings.wait_ms,
                           settings.max_queue, on_batch=metrics.batch.observe)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        await batcher.start()
        threading.Thread(target=served.load, name="spamcore-load", daemon=True).start()
        yield
        await batcher.stop()

    app = FastAPI(title="spamcore verdict API", version=__version__, lifespan=lifespan,
                  description="The verdicts of spamcore's Classify page, for programs.")
    app.add_middleware(_Limits, settings=settings, metrics=metrics)

    def authorised(request: Request) -> None:
        if token is None:
            return
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(value.strip().encode(), token.encode()):
            raise HTTPException(401, "a valid 'Authorization: Bearer <token>' header is required",
                                headers={"WWW-Authenticate": "Bearer"})

    def loaded() -> None:
        if not served.ready.is_set():
            detail = f"the model failed to load: {served.error}" if served.error else "the model is still loading"
            raise HTTPException(503, detail, headers={"Retry-After": "2"})

    @app.post("/v1/classify", response_model=ClassifyResponse, dependencies=[Depends(authorised), Depends(loaded)],
              responses={413: {"description": "body or message count over the limit"},
                         422: {"description": "empty, non-string or over-long text (the field is named)"},
                         429: {"description": "the queue is full; Retry-After says when to try again"}})
    async def classify(body: ClassifyRequest) -> dict:
        messages = body.all_messages()
        if len(messages) > settings.max_messages:
            raise HTTPException(413, f"{len(messages)} messages in one request; at most {settings.max_messages}")
        problems = [_text_problem(m.text, i, body.messages is not None, settings.max_text_chars)
                    for i, m in enumerate(messages)]
        problems = [p for p in problems if p]
        if problems:
            return JSONResponse({"detail": problems}, status_code=422)
        if settings.log_text:
            for m in messages:
                log.info("classify id=%r text=%r", m.id, m.text)
        try:
            predictions = await batcher.classify([m.text for m in messages])
        except QueueFull as err:
            raise HTTPException(429, f"the server is busy ({err}); try again shortly",
                                headers={"Retry-After": "1"}) from None
        info = served.info
        results = []
        for m, p in zip(messages, predictions, strict=True):
            verdict = VERDICTS[p.verdict]
            metrics.verdicts.labels(verdict).inc()
            results.append({"id": m.id, "verdict": verdict, "spam_probability": round(float(p.spam_probability), 6),
                            "band": info["band"], "truncated": bool(p.truncated)})
        return {"model": {k: info[k] for k in ("name", "run", "version")}, "results": results}

    @app.get("/v1/models", dependencies=[Depends(authorised), Depends(loaded)])
    async def models() -> dict:
        return {"models": [served.info]}

    @app.get("/v2/health/live")
    async def live() -> dict:
        return {"live": True}

    @app.get("/v2/health/ready")
    async def ready() -> Response:
        if served.ready.is_set():
            return JSONResponse({"ready": True})
        return JSONResponse({"ready": False, **({"error": served.error} if served.error else {})}, status_code=503)

    @app.get("/metrics", dependencies=[Depends(authorised)])
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.state.served = served
    app.state.batcher = batcher
    return app


def _text_problem(text: str, index: int, batch: bool, limit: int) -> dict | None:
    """A 422 detail naming the field, as FastAPI's own validation errors do, or None."""
    where = ["body", "messages", index, "text"] if batch else ["body", "text"]
    if not text.strip():
        return {"loc": where, "msg": "the message is empty", "type": "value_error.empty"}
    if len(text) > limit:
        return {"loc": where, "msg": f"the message has {len(text):,} characters; at most {limit:,}",
                "type": "value_error.too_long"}
    return None


class _Limits:
    """A plain ASGI middleware (no per-request thread): refuses a body over ``max_body_bytes`` (413), one that
    trickles in slower than ``body_timeout_s`` (408), and records every request's route, status and time.

    Hand-written rather than Starlette's ``BaseHTTPMiddleware``, which runs each request in a task of its own and
    cannot bound the body's reading time; no maintained ASGI package bounds both size and time."""

    def __init__(self, app, settings: ServeSettings, metrics: _Metrics) -> None:
        self.app, self.settings, self.metrics = app, settings, metrics

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        route = scope.get("path", "")
        status = {"code": 500}

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            declared = dict(scope.get("headers") or []).get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.settings.max_body_bytes:
                raise _BodyRefused(413, f"the body has {int(declared):,} bytes; at most "
                                        f"{self.settings.max_body_bytes:,}")
            body = await self._body(receive) if scope.get("method") in ("POST", "PUT", "PATCH") else None
            await self.app(scope, receive if body is None else _replay(body, receive), sending)
        except _BodyRefused as refused:
            await _refuse(sending, refused.status, refused.detail)
        finally:
            known = route if route in ("/v1/classify", "/v1/models", "/v2/health/live", "/v2/health/ready",
                                       "/metrics") else "other"
            self.metrics.requests.labels(known, str(status["code"])).inc()
            self.metrics.latency.labels(known).observe(time.perf_counter() - started)

    async def _body(self, receive) -> bytes:
        """The whole request body, read here before the app sees it (at most ``max_body_bytes``, within
        ``body_timeout_s``): a refusal then is a clean 413 or 408, never a half-parsed request."""
        chunks, received = [], 0
        deadline = time.monotonic() + self.settings.body_timeout_s
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise _BodyRefused(408, f"the body did not arrive within {self.settings.body_timeout_s:g} s") from None
            if message["type"] == "http.disconnect":
                raise _BodyRefused(400, "the client went away before sending its body")
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.settings.max_body_bytes:
                raise _BodyRefused(413, f"the body is over {self.settings.max_body_bytes:,} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive):
    """A ``receive`` that hands the app the body read already, then waits on the client (for a disconnect)."""
    sent = False

    async def receiving():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return receiving


class _BodyRefused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


async def _refuse(send, status: int, detail: str) -> None:
    response = JSONResponse({"detail": detail}, status_code=status)
    await send({"type": "http.response.start", "status": status, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})
