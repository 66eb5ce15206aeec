"""A client that leaves stops its own request: streaming (event_stream.py) or not (here).

After the body has been read, the ASGI `receive` has nothing more to say
until the client disconnects, so waiting on it is how a route learns that
nobody will read its answer.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, TypeVar

from starlette.types import Receive

T = TypeVar("T")


async def wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def unless_client_leaves(work: Awaitable[T], receive: Receive, on_leave: Callable[[], None]) -> T:
    """Await `work`; should the client disconnect first, call `on_leave` (which makes the work end
    soon: the generation stops after its current token) and still await the work to its end, so
    the engine is left in order."""
    task = asyncio.ensure_future(work)
    client_gone = asyncio.ensure_future(wait_for_disconnect(receive))
    try:
        await asyncio.wait({task, client_gone}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            on_leave()
        return await task
    finally:
        client_gone.cancel()
