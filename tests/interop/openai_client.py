"""Drives Herald's OpenAI-compatible speech route with the official OpenAI
Python SDK, as any application built on it would, and prints one JSON line
of what it observed. Usage: openai_client.py BASE_URL OUT_DIR."""

import base64
import json
import sys
import wave
from pathlib import Path

import openai
from openai import OpenAI

TEXT = (
    "Herald reads statements aloud. It speaks many languages, "
    "and it streams the audio while the rest is still being made."
)


def wav_seconds(path: Path) -> float:
    """Seconds of a streamed WAV: its header is written before its length is
    known, so the length comes from the file's size."""
    with wave.open(str(path)) as w:
        rate, width, channels = w.getframerate(), w.getsampwidth(), w.getnchannels()
    return (path.stat().st_size - 44) / width / channels / rate


def speak(client, out: Path, **kwargs) -> Path:
    with client.audio.speech.with_streaming_response.create(model="tts-1", input=TEXT, **kwargs) as response:
        response.stream_to_file(out)
    return out


def main() -> None:
    base, out_dir = sys.argv[1], Path(sys.argv[2])
    client = OpenAI(base_url=f"{base}/v1", api_key="not-needed-without-keys")
    report = {"sdk": openai.__version__}

    wav = speak(client, out_dir / "alloy.wav", voice="alloy", response_format="wav")
    with wave.open(str(wav)) as w:
        report["wav"] = {"rate": w.getframerate(), "channels": w.getnchannels(), "width": w.getsampwidth(),
                         "seconds": wav_seconds(wav)}
    fast = speak(client, out_dir / "fast.wav", voice="alloy", response_format="wav", speed=2.0)
    report["wav_speed_2"] = wav_seconds(fast)

    mp3 = speak(client, out_dir / "nova.mp3", voice="nova")  # mp3 is the default format
    report["mp3_head"] = mp3.read_bytes()[:3].hex()
    report["mp3_bytes"] = mp3.stat().st_size

    pcm = speak(client, out_dir / "alloy.pcm", voice="alloy", response_format="pcm")
    report["pcm_seconds_at_24k"] = pcm.stat().st_size / 2 / 24_000

    events = []
    with client.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts", voice="alloy", input=TEXT, response_format="pcm", stream_format="sse",
        instructions="Speak calmly.",
    ) as response:
        report["sse_content_type"] = response.headers.get("content-type")
        for line in response.iter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[len("data:"):]))
    report["sse_types"] = sorted({e["type"] for e in events})
    report["sse_last"] = events[-1]["type"] if events else None
    report["sse_deltas"] = sum(1 for e in events if e["type"] == "speech.audio.delta")
    report["sse_audio_bytes"] = sum(len(base64.b64decode(e["audio"])) for e in events
                                    if e["type"] == "speech.audio.delta")
    report["sse_usage"] = events[-1].get("usage") if events else None

    try:
        speak(client, out_dir / "aac.aac", voice="alloy", response_format="aac")
        report["aac"] = "accepted"
    except openai.BadRequestError as error:
        report["aac"] = {"status": error.status_code, "body": error.body}
    try:
        client.audio.speech.create(model="tts-1", voice="alloy", input="x" * 4097)
        report["too_long"] = "accepted"
    except openai.BadRequestError as error:
        report["too_long"] = {"status": error.status_code, "body": error.body}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
