#!/usr/bin/env python3
"""Splits neural voices into an encoder and a decoder, so Herald can stream them.

Usage: voice_split.py OUT_DIR MODEL.onnx [MODEL.onnx ...]

Most of a neural voice's work is its decoder, which turns frames (a few
hundredths of a second each) into audio and looks only a few frames either
side. Herald runs it on a few frames at a time, with context either side,
and plays the first frames while the rest are decoded. For each
`NAME.onnx` this writes `NAME.encoder.onnx` (the voice's inputs to the
tensors the decoder reads) and `NAME.decoder.onnx` (those tensors to the
audio) into OUT_DIR. Both parts carry the SHA-256 of the model they came
from (metadata `source_sha256`), and Herald streams a voice only when it
matches its model; parts of an older model are split anew here. A model of
neither kind below is left alone. Safe to run again.

- **Piper** (VITS): the text encoder, duration predictor and flow give
  latent frames (one per 256 samples); the HiFi-GAN decoder (`/dec/`) reads
  them, time last, and any other input it reads (a speaker) passes through.
- **Kokoro** (StyleTTS 2 with an iSTFTNet decoder): the encoder gives the
  aligned text features `asr` [1, 512, T] (one frame per 600 samples at
  24 kHz), the pitch `f0` and energy `noise` curves [1, 2T], and the
  harmonic `source` [1, 600T], a sine wave following the pitch, whose phase
  runs on from the sentence's start (made whole, so a run of frames starts
  in phase). The decoder reads those and the `style`. The cut tensors are
  renamed to those names.
"""

import hashlib
import os
import sys

import onnx
import onnx.helper
import onnx.utils

# Kokoro's cut: the exported graph's tensor → the name the parts give it, and its rank.
KOKORO = {
    "/encoder/MatMul_1_output_0": ("asr", 3),
    "/encoder/Reshape_output_0": ("f0", 2),
    "/encoder/Reshape_1_output_0": ("noise", 2),
    "/decoder/decoder/generator/Squeeze_output_0": ("source", 2),
}


def piper_cut(graph):
    """The tensors a Piper decoder reads from the rest of the graph, latent first."""
    produced_inside = set()
    decoder = [n for n in graph.node if n.name.startswith("/dec/")]
    for node in decoder:
        produced_inside.update(node.output)
    constants = {i.name for i in graph.initializer}
    constants.update(o for n in graph.node if n.op_type == "Constant" for o in n.output)
    inputs = []
    for node in decoder:
        for name in node.input:
            if name and name not in produced_inside and name not in constants and name not in inputs:
                inputs.append(name)
    first = next((n for n in decoder if n.name == "/dec/conv_pre/Conv"), None)
    if first is None or not inputs:
        return []
    latent = first.input[0]
    return [latent] + [name for name in inputs if name != latent]


def kokoro_cut(model):
    """Renames Kokoro's cut tensors in `model`; the decoder's inputs, or []."""
    graph = model.graph
    produced = {o for n in graph.node for o in n.output}
    if not all(name in produced for name in KOKORO) or [i.name for i in graph.input] != ["tokens", "style", "speed"]:
        return []
    for node in graph.node:
        for names in (node.input, node.output):
            for i, name in enumerate(names):
                if name in KOKORO:
                    names[i] = KOKORO[name][0]
    return [new for new, _ in KOKORO.values()] + ["style"]


def source_of(part):
    """The `source_sha256` a part carries, or None."""
    if not os.path.exists(part):
        return None
    props = onnx.load(part, load_external_data=False).metadata_props
    return next((p.value for p in props if p.key == "source_sha256"), None)


def typed(part, ranks):
    """Gives the part's cut inputs and outputs their float type where shape inference left it out."""
    model = onnx.load(part)
    for value in list(model.graph.input) + list(model.graph.output):
        if value.name in ranks:
            value.type.CopyFrom(onnx.helper.make_tensor_type_proto(onnx.TensorProto.FLOAT, [None] * ranks[value.name]))
    return model


def split(model_path, out_dir):
    """Writes the encoder and decoder of one model, unless current ones exist."""
    name = os.path.basename(model_path)[: -len(".onnx")]
    encoder = os.path.join(out_dir, f"{name}.encoder.onnx")
    decoder = os.path.join(out_dir, f"{name}.decoder.onnx")
    with open(model_path, "rb") as f:
        source = hashlib.sha256(f.read()).hexdigest()
    if source_of(encoder) == source and source_of(decoder) == source:
        return
    model = onnx.load(model_path)
    tensors, ranks = piper_cut(model.graph), {}
    if not tensors:
        tensors, ranks = kokoro_cut(model), dict(KOKORO.values())
    if not tensors:
        print(f"{model_path}: no decoder found; it will be inferred whole", file=sys.stderr)
        return
    whole = os.path.join(out_dir, f"{name}.whole.part")
    onnx.save(model, whole)
    inputs = [i.name for i in model.graph.input]
    outputs = [o.name for o in model.graph.output]
    encoder_outputs = [t for t in tensors if t not in inputs]
    try:
        for part, ins, outs in ((encoder, inputs, encoder_outputs), (decoder, tensors, outputs)):
            onnx.utils.extract_model(whole, part + ".part", ins, outs, check_model=False)
            extracted = typed(part + ".part", ranks)
            onnx.checker.check_model(extracted)
            onnx.helper.set_model_props(extracted, {"source_sha256": source})
            onnx.save(extracted, part + ".part")
            os.replace(part + ".part", part)
    finally:
        os.remove(whole)


def main(out_dir, *models):
    os.makedirs(out_dir, exist_ok=True)
    for model in models:
        split(model, out_dir)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
