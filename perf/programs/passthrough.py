"""The floor of the proxy row's stack: aiohttp passing calls on with the key swapped,
nothing metered.

    python passthrough.py UPSTREAM_URL KEY

Prints its URL; stops at the end of its input.
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import ClientSession, web

DROPPED = {"host", "content-length", "x-api-key", "accept-encoding", "connection"}


async def serve(upstream: str, key: str) -> None:
    session = ClientSession(auto_decompress=False)

    async def handle(request: web.Request) -> web.StreamResponse:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in DROPPED}
        headers["x-api-key"] = key
        async with session.request(request.method, upstream + request.path,
                                   data=await request.read(), headers=headers) as answer:
            if "event-stream" not in answer.headers.get("content-type", ""):
                return web.Response(status=answer.status, body=await answer.read(),
                                    content_type="application/json")
            reply = web.StreamResponse(status=answer.status)
            reply.content_type = "text/event-stream"
            await reply.prepare(request)
            async for chunk in answer.content.iter_any():
                await reply.write(chunk)
            return reply

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()
    await session.close()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
