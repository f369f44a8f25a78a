# Multi-stage build: compile in the Rust image, run in a slim Debian with CA certificates, as a non-root user.
FROM rust:1-bookworm AS build
WORKDIR /src
# aws-lc-sys and the bundled SQLite need a C compiler; the base image has gcc.
COPY . .
RUN cargo build --release --locked -p lookerbot && strip target/release/lookerbot

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/lookerbot --create-home --uid 10001 lookerbot
COPY --from=build /src/target/release/lookerbot /usr/local/bin/lookerbot
USER lookerbot
WORKDIR /var/lib/lookerbot
ENV PORT=3333 LOOKERBOT_DATA_DIR=/var/lib/lookerbot/data
EXPOSE 3333
HEALTHCHECK --interval=30s --timeout=3s CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT} && printf 'GET /health_check HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q Healthy <&3"]
ENTRYPOINT ["lookerbot"]
CMD ["serve"]
