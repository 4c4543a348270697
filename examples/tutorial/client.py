"""The tutorial's client: add a note and watch the feed.

python client.py http://127.0.0.1:8080 "read the docs" --backend trio
"""

from __future__ import annotations

import argparse

import anyio
import anyiohttp


async def main(url: str, text: str) -> None:
    """Listen to the feed, add a note that links to /about, print the two events."""
    async with anyiohttp.ClientSession(base_url=url) as session:
        async with session.ws_connect("/feed") as ws:
            await ws.send_str("count")
            print("notes so far:", (await ws.receive_json())["count"])
            note = {"text": text, "link": f"{url}/about"}
            async with session.post("/notes", json=note) as resp:
                print("created:", resp.status)
            for _ in range(2):  # "added", then "titled" from the background task
                event = await ws.receive_json()
                print(f"{event['event']}: {event['note']['text']} {event['note']['title']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the tutorial's client")
    parser.add_argument("url")
    parser.add_argument("text")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    anyio.run(main, args.url, args.text, backend=args.backend)
