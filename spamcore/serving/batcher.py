"""Micro-batching: requests that arrive together share one forward pass.

A CPU classifies 64 short messages in one pass far faster than in 64 (the bulk path sorts them by length and pads
each batch to its longest: :meth:`spamcore.model.classifier.SpamClassifier.predict`). The batcher holds the first
request
of a batch for at most ``wait_ms``, adds whatever else arrives up to ``max_batch`` messages, classifies them in one
call on a worker thread (so the event loop keeps accepting connections), and hands each request its own answers.
Messages waiting beyond ``max_queue`` are refused at once (:class:`QueueFull`: the API answers 429), so an overload
costs a retry, never a lost or endless request. With ``max_batch=1`` and ``wait_ms=0`` it is one request, one pass.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from spamcore.model.verdicts import Prediction


class QueueFull(RuntimeError):
    """More messages wait than the queue holds: try again shortly."""


@dataclass
class _Waiting:
    texts: list[str]
    answer: asyncio.Future


class MicroBatcher:
    """Gathers concurrent :meth:`classify` calls into passes of ``predict`` (one thread runs them, one at a time).

    ``on_batch`` is told each pass's size (a metric). Use inside one event loop: :meth:`start` there, then
    ``await classify(texts)`` from any request handler, :meth:`stop` at shutdown.
    """

    def __init__(self, predict: Callable[[list[str]], Sequence[Prediction]], max_batch: int = 64,
                 wait_ms: float = 5.0, max_queue: int = 1024,
                 on_batch: Callable[[int], None] | None = None) -> None:
        self.predict, self.max_batch, self.wait = predict, max_batch, wait_ms / 1000
        self.max_queue, self.on_batch = max_queue, on_batch or (lambda _n: None)
        self.waiting_messages = 0
        self._queue: asyncio.Queue[_Waiting] | None = None
        self._worker: asyncio.Task | None = None
        # One thread: torch already uses every core for one pass; two passes at once would only fight over them.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spamcore-batch")

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._worker = asyncio.create_task(self._run(), name="spamcore-batcher")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def classify(self, texts: list[str]) -> list[Prediction]:
        """The predictions for ``texts``, in order, from a shared pass; :class:`QueueFull` when the queue is full."""
        if self._queue is None:
            raise RuntimeError("the batcher has not been started")
        if self.waiting_messages + len(texts) > self.max_queue:
            raise QueueFull(f"{self.waiting_messages} messages are waiting (at most {self.max_queue})")
        self.waiting_messages += len(texts)
        answer = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Waiting(texts, answer))
        return await answer

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            size = len(batch[0].texts)
            deadline = loop.time() + self.wait
            while size < self.max_batch:
                if self._queue.empty():
                    left = deadline - loop.time()
                    if left <= 0:
                        break
                    try:
                        batch.append(await asyncio.wait_for(self._queue.get(), left))
                    except TimeoutError:
                        break
                else:
                    batch.append(self._queue.get_nowait())
                size += len(batch[-1].texts)
            texts = [t for waiting in batch for t in waiting.texts]
            try:
                predictions = await loop.run_in_executor(self._executor, self.predict, texts)
            except Exception as err:  # every waiting request hears of it; the batcher goes on
                for waiting in batch:
                    if not waiting.answer.done():
                        waiting.answer.set_exception(err)
            else:
                self.on_batch(len(texts))
                start = 0
                for waiting in batch:
                    if not waiting.answer.done():  # its client may have gone
                        waiting.answer.set_result(list(predictions[start:start + len(waiting.texts)]))
                    start += len(waiting.texts)
            finally:
                self.waiting_messages -= size
