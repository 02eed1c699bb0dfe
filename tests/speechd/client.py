"""Speech Dispatcher's own Python client (Debian's python3-speechd), driven
by tests/speechd.rs: speaks through the `herald` module and prints each
callback as a JSON line, with the time since `speak()` in seconds.

    client.py speak TEXT [--ssml] [--rate N] [--language L] [--voice NAME]
    client.py stop TEXT --after-marks N    cancel() once N index marks arrived
    client.py voices                       the module's voices, a JSON line each

The socket comes from SPEECHD_ADDRESS. Exits 1 when the message neither
ends nor is cancelled within --timeout seconds (60 by default).
"""

import argparse
import json
import sys
import threading
import time

import speechd

END_EVENTS = {speechd.CallbackType.END, speechd.CallbackType.CANCEL}
NAMES = {
    speechd.CallbackType.BEGIN: "begin",
    speechd.CallbackType.END: "end",
    speechd.CallbackType.CANCEL: "cancel",
    speechd.CallbackType.INDEX_MARK: "mark",
}
TIMEOUT_S = 60


def client(args):
    c = speechd.SSIPClient("herald-tests")
    c.set_output_module("herald")
    if getattr(args, "ssml", False):
        c.set_data_mode(speechd.DataMode.SSML)
    if getattr(args, "rate", None) is not None:
        c.set_rate(args.rate)
    if getattr(args, "language", None):
        c.set_language(args.language)
    if getattr(args, "voice", None):
        c.set_synthesis_voice(args.voice)
    return c


def emit(**fields):
    print(json.dumps(fields), flush=True)


def speak(args, after_marks=None):
    c = client(args)
    done = threading.Event()
    # The callback runs on the client's reading thread: it cannot wait
    # for a reply itself, so the main thread cancels.
    stop = threading.Event()
    start = time.monotonic()
    marks = []

    def callback(kind, index_mark=None):
        name = NAMES.get(kind, str(kind))
        emit(event=name, mark=index_mark, t=time.monotonic() - start)
        if kind == speechd.CallbackType.INDEX_MARK:
            marks.append(index_mark)
            if after_marks is not None and len(marks) == after_marks:
                stop.set()
        if kind in END_EVENTS:
            done.set()

    events = [
        speechd.CallbackType.BEGIN,
        speechd.CallbackType.END,
        speechd.CallbackType.CANCEL,
        speechd.CallbackType.INDEX_MARK,
    ]
    c.speak(args.text, callback=callback, event_types=events)
    if after_marks is not None and stop.wait(args.timeout):
        emit(event="cancel-sent", t=time.monotonic() - start)
        c.cancel()
    ended = done.wait(args.timeout)
    c.close()
    return 0 if ended else 1


def voices(args):
    c = speechd.SSIPClient("herald-tests")
    c.set_output_module("herald")
    for name, language, variant in c.list_synthesis_voices():
        emit(name=name, language=language, variant=variant)
    c.close()
    return 0


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("speak", "stop"):
        p = sub.add_parser(name)
        p.add_argument("text")
        p.add_argument("--ssml", action="store_true")
        p.add_argument("--rate", type=int)
        p.add_argument("--language")
        p.add_argument("--voice")
        p.add_argument("--timeout", type=float, default=TIMEOUT_S)
        if name == "stop":
            p.add_argument("--after-marks", type=int, required=True)
    sub.add_parser("voices")
    args = parser.parse_args()
    if args.command == "voices":
        return voices(args)
    return speak(args, after_marks=getattr(args, "after_marks", None))


if __name__ == "__main__":
    sys.exit(main())
