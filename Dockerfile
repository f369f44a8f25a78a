# Multi-stage build: compile in the Rust image, run in a slim Debian with CA certificates, as a non-root user.
# Base images are pinned to exact tags; bump them deliberately (and rebuild) for toolchain and security updates.
# The Rust toolchain is the one the tests and the bench run on: the linker's start-up order
# (crates/lookerbot/startup-order.txt) names functions as this compiler names them. After a bump, record it again
# (README, Performance).
#
# Stopping: the bot finishes deliveries in flight for up to 20 s after SIGTERM, so give `docker stop` more than
# Docker's default 10 s: `docker stop --time 30 lookerbot` (or `stop_grace_period: 30s` in Compose).

# 1. cargo-chef computes a recipe of the dependencies from the manifests and lock file alone.
FROM rust:1.95.0-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

# 2. The dependencies are built in their own layer, reused until Cargo.toml or Cargo.lock change; a source change
#    rebuilds only lookerbot's own crates. (aws-lc-sys and the bundled SQLite need the C compiler the image has.)
#    --no-default-features leaves the demo and its Looker sandbox out of the production binary.
FROM chef AS build
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked -p lookerbot --no-default-features --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked -p lookerbot --no-default-features

FROM debian:12.12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/lookerbot --create-home --uid 10001 lookerbot \
 && install -d -o lookerbot -g lookerbot -m 0700 /var/lib/lookerbot/data
COPY --from=build /src/target/release/lookerbot /usr/local/bin/lookerbot
USER lookerbot
WORKDIR /var/lib/lookerbot
ENV PORT=3333 LOOKERBOT_DATA_DIR=/var/lib/lookerbot/data
# Created above and owned by the bot's user, so that a new named volume mounted here is writable by it.
VOLUME ["/var/lib/lookerbot/data"]
EXPOSE 3333
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT} && printf 'GET /health_check HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q Healthy <&3"]
ENTRYPOINT ["lookerbot"]
CMD ["serve"]
