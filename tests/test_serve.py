"""``spamcore serve`` against a real server process: uvicorn on a free loopback port, real HTTP through httpx, a tiny
model. The verdicts match the library's; every hostile request gets its status code and the server stays ready.
Every loop here is bounded in count and time, and only loopback addresses are used."""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import socket
import sys
from pathlib import Path

import httpx
import pytest
from test_app import tiny_run  # noqa: F401 (fixture)

from spamcore.errors import ConfigError
from spamcore.serving.server import check, is_loopback

TOKEN = "test-token-0123456789abcdef"


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(run: Path, tmp: Path, *args: str, token: str | None = TOKEN):
    """``spamcore serve RUN`` in its own process; yields (base URL, log path); always stopped."""
    from devtools.browser import running_server

    port = free_port()
    log = tmp / f"serve-{port}.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("SPAMCORE_API_TOKEN", None)
    command = [sys.executable, "-m", "spamcore", "serve", str(run), "--port", str(port), *args]
    if token:
        command += ["--token", token]
    url = f"http://127.0.0.1:{port}"
    with running_server(command, url, cwd=tmp, env=env, log_path=log, health="/v2/health/ready"):
        yield url, log


@pytest.fixture(scope="module")
def served(tiny_run, tmp_path_factory):  # noqa: F811
    tmp = tmp_path_factory.mktemp("serve")
    with server(tiny_run / "tiny-finetune", tmp, "--max-messages", "8") as (url, log):
        yield {"url": url, "log": log, "run": tiny_run / "tiny-finetune"}


def auth(token: str = TOKEN) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_one_message_and_a_batch_get_the_verdicts_the_library_gives(served):
    from spamcore.model.saved import load_classifier

    url = served["url"]
    one = httpx.post(f"{url}/v1/classify", json={"text": "WIN a free cruise, reply YES"}, headers=auth(), timeout=30)
    assert one.status_code == 200, one.text
    body = one.json()
    assert body["model"]["run"] == "tiny-finetune" and body["model"]["name"] and body["model"]["version"]
    texts = ["WIN a free cruise, reply YES", "see you at six", "Your parcel fee is unpaid"]
    batch = httpx.post(f"{url}/v1/classify", json={"messages": [{"id": i, "text": t} for i, t in enumerate(texts)]},
                       headers=auth(), timeout=30).json()
    expected = load_classifier(served["run"]).predict(texts)
    assert [r["id"] for r in batch["results"]] == [0, 1, 2]
    for got, want in zip(batch["results"], expected, strict=True):
        assert got["verdict"] == {"unsure": "not sure"}.get(want.verdict, want.verdict)
        assert got["spam_probability"] == pytest.approx(want.spam_probability, abs=1e-4)
        assert got["band"]["low"] <= got["band"]["high"]
    assert batch["results"][0] == one.json()["results"][0] | {"id": 0}


def test_models_health_docs_and_metrics(served):
    url = served["url"]
    models = httpx.get(f"{url}/v1/models", headers=auth()).json()["models"]
    assert models[0]["run"] == "tiny-finetune" and "spam_f1" in models[0]["test"]
    assert httpx.get(f"{url}/v2/health/live").json() == {"live": True}
    assert httpx.get(f"{url}/v2/health/ready").status_code == 200
    assert httpx.get(f"{url}/docs").status_code == 200
    assert "/v1/classify" in httpx.get(f"{url}/openapi.json").json()["paths"]
    metrics = httpx.get(f"{url}/metrics", headers=auth()).text
    for name in ("spamcore_requests_total", "spamcore_request_seconds_bucket", "spamcore_batch_messages_bucket",
                 "spamcore_verdicts_total"):
        assert name in metrics


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"text": ""}, 422, ["body", "text"]),
    ({"text": "   "}, 422, ["body", "text"]),
    ({"text": 42}, 422, ["body", "text"]),
    ({"messages": [{"text": "ok"}, {"text": None}]}, 422, ["body", "messages", 1, "text"]),
    ({"messages": [{"text": "x" * 20_001}]}, 422, ["body", "messages", 0, "text"]),
    ({"messages": [{"text": "hi"}] * 9}, 413, None),
    ({"nothing": "here"}, 422, None),
    ({"text": "a", "messages": []}, 422, None),
])
def test_bad_requests_get_their_status_and_name_the_field(served, body, status, field):
    response = httpx.post(f"{served['url']}/v1/classify", json=body, headers=auth(), timeout=30)
    assert response.status_code == status, response.text
    if field is not None:
        assert any(d["loc"] == field for d in response.json()["detail"]), response.json()
    assert httpx.get(f"{served['url']}/v2/health/ready").status_code == 200


def test_hostile_requests_are_refused_and_the_server_stays_ready(served):
    url = served["url"]
    assert httpx.post(f"{url}/v1/classify", json={"text": "hi"}).status_code == 401  # no token
    wrong = httpx.post(f"{url}/v1/classify", json={"text": "hi"}, headers=auth("wrong-token-0123456789"))
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert httpx.get(f"{url}/metrics").status_code == 401
    big = httpx.post(f"{url}/v1/classify", content=b'{"text": "' + b"a" * 1_100_000 + b'"}', headers=auth(),
                     timeout=30)
    assert big.status_code == 413
    broken = httpx.post(f"{url}/v1/classify", content=b'{"text": ', headers={**auth(), "content-type":
                                                                               "application/json"})
    assert broken.status_code == 422
    # A body announced but never sent (a slow client): answered 408 once the body timeout passes, not held forever.
    with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=30) as raw:
        raw.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: "
                    b"Bearer " + TOKEN.encode() + b"\r\nContent-Length: 100\r\n\r\n{")
        raw.settimeout(30)
        assert b" 408 " in raw.recv(4096).split(b"\r\n", 1)[0]
    assert httpx.get(f"{url}/v2/health/ready").status_code == 200
    assert "hi" not in served["log"].read_text()  # no text in the log


def test_a_full_queue_answers_429_with_retry_after_and_loses_no_answer(tiny_run, tmp_path):  # noqa: F811
    with server(tiny_run / "tiny-finetune", tmp_path, "--queue", "4", "--wait-ms", "300") as (url, _log):
        def send(i: int) -> httpx.Response:
            return httpx.post(f"{url}/v1/classify", json={"messages": [{"text": f"free prize {i}"}] * 2},
                              headers=auth(), timeout=60)

        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            responses = list(pool.map(send, range(12)))
        codes = [r.status_code for r in responses]
        assert set(codes) <= {200, 429} and 429 in codes and 200 in codes, codes
        assert all(r.headers.get("retry-after") for r in responses if r.status_code == 429)
        assert all(len(r.json()["results"]) == 2 for r in responses if r.status_code == 200)
        assert httpx.get(f"{url}/v2/health/ready").status_code == 200
        assert send(99).status_code == 200  # the queue drained: nothing is stuck


def test_concurrent_requests_share_passes(tiny_run, tmp_path):  # noqa: F811
    with server(tiny_run / "tiny-finetune", tmp_path, "--wait-ms", "50") as (url, _log):
        with httpx.Client(headers=auth(), timeout=60) as client, concurrent.futures.ThreadPoolExecutor(16) as pool:
            responses = list(pool.map(lambda i: client.post(f"{url}/v1/classify", json={"text": f"hello {i}"}),
                                      range(32)))
            assert all(r.status_code == 200 for r in responses)
            metrics = client.get(f"{url}/metrics").text
        passes = next(float(line.split()[-1]) for line in metrics.splitlines()
                      if line.startswith("spamcore_batch_messages_count"))
        assert passes < 32  # some requests shared a forward pass


@pytest.mark.parametrize(("host", "token", "ok"), [
    ("127.0.0.1", None, True), ("localhost", None, True), ("::1", None, True),
    ("0.0.0.0", None, False), ("192.168.1.5", None, False), ("0.0.0.0", "x" * 16, True),
])
def test_other_addresses_need_a_token(host, token, ok):
    assert is_loopback(host) == (host in ("127.0.0.1", "localhost", "::1"))
    if ok:
        check(host, 8000, token)
    else:
        with pytest.raises(ConfigError, match="give a token"):
            check(host, 8000, token)
    with pytest.raises(ConfigError, match="at least 16"):
        check("127.0.0.1", 8000, "short")


def test_the_command_refuses_a_missing_run_and_an_open_address_without_a_token(tmp_path):
    from spamcore.cli import main

    assert main(["serve", str(tmp_path / "nope")]) == 2
    assert main(["serve", str(tmp_path / "nope"), "--host", "0.0.0.0"]) == 2
