# Herald on Debian bookworm: build with the Rust toolchain, run on a slim image.
FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config cmake libespeak-ng-dev libspeechd-dev libclang-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin herald

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libespeak-ng1 espeak-ng-data libspeechd2 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/herald herald
COPY --from=build /src/target/release/herald /usr/local/bin/herald
USER herald
WORKDIR /var/lib/herald
ENV HERALD_CACHE_DIR=/var/lib/herald/audio-cache
EXPOSE 8080
CMD ["herald", "serve", "--addr", "0.0.0.0:8080"]
