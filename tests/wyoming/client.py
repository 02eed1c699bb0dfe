"""Talks to Herald's Wyoming server with the reference client library
(`wyoming`, as Home Assistant uses it) and prints what it saw as JSON.

Usage: client.py HOST PORT
"""

import asyncio
import json
import sys

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.info import Describe, Info
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
    SynthesizeVoice,
)

TIMEOUT = 60.0


def client(host, port):
    return AsyncTcpClient(host, port, connect_timeout=TIMEOUT, read_timeout=TIMEOUT)


async def read(conn):
    event = await conn.read_event()
    assert event is not None, "the server closed the connection"
    return event


async def describe(conn):
    await conn.write_event(Describe().event())
    while True:
        event = await read(conn)
        if Info.is_type(event.type):
            info = Info.from_event(event)
            program = info.tts[0]
            return {
                "program": program.name,
                "streaming": program.supports_synthesize_streaming,
                "voices": {v.name: v.languages for v in program.voices},
            }


async def collect_audio(conn, until):
    """Reads events up to the one of type `until`; summarises the audio."""
    seen = {"types": [], "formats": [], "bytes": 0, "chunks": 0}
    while True:
        event = await read(conn)
        seen["types"].append(event.type)
        if AudioStart.is_type(event.type):
            start = AudioStart.from_event(event)
            seen["formats"].append([start.rate, start.width, start.channels])
        elif AudioChunk.is_type(event.type):
            chunk = AudioChunk.from_event(event)
            seen["formats"].append([chunk.rate, chunk.width, chunk.channels])
            seen["bytes"] += len(chunk.audio)
            seen["chunks"] += 1
        if event.type == until:
            return seen


async def synthesize_french(host, port):
    async with client(host, port) as conn:
        voice = SynthesizeVoice(language="fr")
        await conn.write_event(Synthesize(text="Bonjour à tous. Merci d'être venus.", voice=voice).event())
        return await collect_audio(conn, AudioStop().event().type)


async def synthesize_named(host, port):
    async with client(host, port) as conn:
        await conn.write_event(Synthesize(text="Guten Tag.", voice=SynthesizeVoice(name="espeak:de")).event())
        return await collect_audio(conn, AudioStop().event().type)


async def stream(host, port):
    """Sends the first sentence (and the start of the second), waits for its
    audio, and only then sends the rest and stops."""
    first, second = "Good morning, everyone. ", "Today we open the new library."
    async with client(host, port) as conn:
        await conn.write_event(SynthesizeStart(voice=SynthesizeVoice(language="en")).event())
        await conn.write_event(SynthesizeChunk(text=first).event())
        await conn.write_event(SynthesizeChunk(text=second[:8]).event())
        before = {"types": [], "bytes": 0}
        while True:
            event = await read(conn)
            before["types"].append(event.type)
            if AudioChunk.is_type(event.type):
                before["bytes"] += len(AudioChunk.from_event(event).audio)
                break
        await conn.write_event(SynthesizeChunk(text=second[8:]).event())
        await conn.write_event(Synthesize(text=first + second, voice=SynthesizeVoice(language="en")).event())
        await conn.write_event(SynthesizeStop().event())
        after = await collect_audio(conn, SynthesizeStopped().event().type)
        return {"before_stop": before, "after_stop": after}


async def malformed(host, port):
    """Bad events get error events, and the same connection goes on."""
    async with client(host, port) as conn:
        errors = []
        raw = [
            b"{this is not json\n",
            b'{"type": "teleport", "version": "1.10.2"}\n',
            b'{"type": "synthesize", "data_length": 2000000}\n' + b"x" * 2000000,
            b'{"type": "synthesize-chunk", "data": {"text": "no stream"}}\n',
        ]
        for event_bytes in raw:
            conn._writer.write(event_bytes)
            await conn._writer.drain()
            event = await read(conn)
            errors.append(Error.from_event(event).code if Error.is_type(event.type) else event.type)
        after = await describe(conn)
        return {"errors": errors, "voices_after": len(after["voices"])}


async def abandon(host, port):
    """Asks for a long text and leaves at once."""
    async with client(host, port) as conn:
        text = " ".join(f"This is sentence number {n} of a long statement." for n in range(200))
        await conn.write_event(Synthesize(text=text).event())
        await read(conn)


async def main(host, port):
    report = {}
    async with client(host, port) as conn:
        report["describe"] = await describe(conn)
    report["french"] = await synthesize_french(host, port)
    report["named"] = await synthesize_named(host, port)
    report["stream"] = await stream(host, port)
    report["malformed"] = await malformed(host, port)
    await abandon(host, port)
    async with client(host, port) as conn:
        report["alive_after_abandon"] = len((await describe(conn))["voices"]) > 0
    print(json.dumps(report))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
