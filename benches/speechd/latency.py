"""Latency of speech through Speech Dispatcher, as a screen reader meets
it: from the client's speak() to the first audio at the tap (the file the
ALSA default device writes), and from cancel() to the tap going still.
Driven by benches/speechd.rs, which starts the daemon; prints one JSON
object per measurement.

    latency.py TAP PROBE RUNS LABEL=MODULE:VOICE...   (VOICE `-`: the module's default)

PROBE is the file alsa_probe.c appends a line to for every write to the
sound device, "SECONDS FRAMES" on the monotonic clock: first audio there is
when the daemon (or aplay) hands audio to the device.

Each run measures every configuration in turn (so load from elsewhere on
the machine hits them alike), each after a quiet second:
  quiet       first audio of a fresh sentence (never spoken before: no cache),
              at the tap and at the device;
  cancel      a long text is spoken, cancel() 300 ms after its first audio;
              the time from cancel() to the tap's last growth;
  after_stop  right after that cancel, first audio of another fresh sentence.
"""

import bisect
import json
import os
import sys
import threading
import time

import speechd

POLL_S = 0.0005
STILL_S = 0.5
TIMEOUT_S = 30

WORDS = ["harbour", "council", "ferry", "library", "market", "station", "river", "school", "museum", "bridge"]


def tap_size(tap):
    try:
        return os.stat(tap).st_size
    except FileNotFoundError:
        return 0


def sentence(run, kind):
    a, b = WORDS[run % len(WORDS)], WORDS[(run * 3 + len(kind)) % len(WORDS)]
    return f"Bulletin {run} {kind}: the {a} and the {b} open again on Monday morning."


class Client:
    def __init__(self, module, voice):
        self.module = module
        self.c = speechd.SSIPClient("herald-bench")
        self.c.set_output_module(module)
        self.c.set_language("en")
        if voice != "-":
            self.c.set_synthesis_voice(voice)
        self.done = threading.Event()

    def _callback(self, kind, index_mark=None):
        if kind in (speechd.CallbackType.END, speechd.CallbackType.CANCEL):
            self.done.set()

    def speak(self, text):
        self.done.clear()
        events = [speechd.CallbackType.END, speechd.CallbackType.CANCEL]
        self.c.speak(text, callback=self._callback, event_types=events)

    def wait(self):
        if not self.done.wait(TIMEOUT_S):
            raise SystemExit("the message never ended")


class Probe:
    """Writes to the sound device, as alsa_probe.c notes them."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.times = []

    def writes(self):
        """Every write so far, on the monotonic clock."""
        try:
            with open(self.path) as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return self.times
        complete = chunk[: chunk.rfind("\n") + 1]
        self.offset += len(complete.encode())
        self.times.extend(float(line.split()[0]) for line in complete.splitlines() if line.strip())
        return self.times

    def first_after(self, t):
        """The first write at or after `t`, if there is one yet."""
        times = self.writes()
        at = bisect.bisect_left(times, t)
        return times[at] if at < len(times) else None


def first_audio(client, tap, probe, text, wait_for_tap=True):
    """Seconds from speak() to the first write to the device, and (unless
    not waited for) to the tap growing."""
    before = tap_size(tap)
    start = time.monotonic()
    client.speak(text)
    at_device = at_tap = None
    while at_device is None or (wait_for_tap and at_tap is None):
        now = time.monotonic()
        if now - start > TIMEOUT_S:
            raise SystemExit(f"{client.module}: no audio within {TIMEOUT_S} s ({text[:60]!r})")
        if at_tap is None and tap_size(tap) > before:
            at_tap = now - start
        if at_device is None:
            first = probe.first_after(start)
            if first is not None:
                at_device = first - start
        time.sleep(POLL_S)
    return at_tap, at_device


def still_after_cancel(client, tap, probe, text):
    """Seconds from cancel() to the tap's last growth, and to the last
    write to the device (0: none after it)."""
    first_audio(client, tap, probe, text, wait_for_tap=False)
    time.sleep(0.3)
    size = tap_size(tap)
    cancelled = time.monotonic()
    client.c.cancel()
    last = cancelled
    while time.monotonic() - last < STILL_S:
        now = tap_size(tap)
        if now != size:
            size, last = now, time.monotonic()
        time.sleep(POLL_S)
    client.wait()
    writes = probe.writes()
    last_write = writes[-1] if writes and writes[-1] >= cancelled else cancelled
    return last - cancelled, last_write - cancelled


def main():
    tap, probe, runs = sys.argv[1], Probe(sys.argv[2]), int(sys.argv[3])
    configs = []
    for arg in sys.argv[4:]:
        label, target = arg.split("=", 1)
        module, voice = target.split(":", 1)
        configs.append((label, Client(module, voice)))
    # One message each first: a module's first message may load what it loads lazily.
    for _, client in configs:
        first_audio(client, tap, probe, "Warming up.")
        client.wait()
    for run in range(runs):
        for label, client in configs:
            time.sleep(1)
            quiet = first_audio(client, tap, probe, sentence(run, f"quiet {label}"))
            client.wait()
            time.sleep(1)
            long_text = " ".join(f"Sentence {i} of run {run} for {label}, read aloud to the end." for i in range(80))
            still = still_after_cancel(client, tap, probe, long_text)
            after_stop = first_audio(client, tap, probe, sentence(run, f"after stop {label}"))
            client.wait()
            figures = {"quiet": quiet, "cancel": still, "after_stop": after_stop}
            print(json.dumps({"config": label, "run": run, **figures}), flush=True)
    for _, client in configs:
        client.c.close()


if __name__ == "__main__":
    main()
