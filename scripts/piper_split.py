#!/usr/bin/env python3
"""Splits Piper voices into an encoder and a decoder, so Herald can stream them.

Usage: piper_split.py OUT_DIR MODEL.onnx [MODEL.onnx ...]

A Piper voice is one VITS graph: text encoder, duration predictor and flow
turn phoneme ids into a latent sequence (one frame per 256 samples), and the
HiFi-GAN decoder (`dec`) turns the latent frames into audio. The decoder is
most of the work, and it is convolutional, so Herald runs it on a few frames
at a time (with context either side) and plays the first frames while the
rest are decoded. For each `NAME.onnx` this writes `NAME.encoder.onnx` (the
voice's inputs to the tensors the decoder reads) and `NAME.decoder.onnx`
(those tensors to the audio) into OUT_DIR. The decoder's first input is the
latent sequence, time last; any other (a speaker embedding) passes through.
Both parts carry the SHA-256 of the model they came from (metadata
`source_sha256`), and Herald streams a voice only when it matches the
model beside its config; parts of an older model are split anew here.
A model without a `/dec/` part is left alone. Safe to run again.
"""

import hashlib
import os
import sys

import onnx
import onnx.helper
import onnx.utils


def cut(graph):
    """The tensors the decoder reads from the rest of the graph, latent first."""
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


def source_of(part):
    """The `source_sha256` a part carries, or None."""
    if not os.path.exists(part):
        return None
    props = onnx.load(part, load_external_data=False).metadata_props
    return next((p.value for p in props if p.key == "source_sha256"), None)


def split(model_path, out_dir):
    """Writes the encoder and decoder of one model, unless current ones exist."""
    name = os.path.basename(model_path)[: -len(".onnx")]
    encoder = os.path.join(out_dir, f"{name}.encoder.onnx")
    decoder = os.path.join(out_dir, f"{name}.decoder.onnx")
    with open(model_path, "rb") as f:
        source = hashlib.sha256(f.read()).hexdigest()
    if source_of(encoder) == source and source_of(decoder) == source:
        return
    graph = onnx.load(model_path).graph
    tensors = cut(graph)
    if not tensors:
        print(f"{model_path}: no decoder found; it will be inferred whole", file=sys.stderr)
        return
    inputs = [i.name for i in graph.input]
    outputs = [o.name for o in graph.output]
    for part, ins, outs in ((encoder, inputs, tensors), (decoder, tensors, outputs)):
        onnx.utils.extract_model(model_path, part + ".part", ins, outs)
        model = onnx.load(part + ".part")
        onnx.helper.set_model_props(model, {"source_sha256": source})
        onnx.save(model, part + ".part")
        os.replace(part + ".part", part)


def main(out_dir, *models):
    os.makedirs(out_dir, exist_ok=True)
    for model in models:
        split(model, out_dir)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
