# The keeper, built from this workspace. Build: docker build -t flashforge-keeper .
# Run:   docker run -v ./keeper.toml:/etc/flashforge/keeper.toml:ro \
#          -v ./keeper.json:/etc/flashforge/keeper.json:ro -v keeper-data:/var/lib/flashforge \
#          -p 9464:9464 flashforge-keeper
# See deploy/README.md.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p keeper \
 && install -m 0755 target/release/keeper /usr/local/bin/keeper

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/flashforge --create-home flashforge
COPY --from=build /usr/local/bin/keeper /usr/local/bin/keeper
USER flashforge
WORKDIR /var/lib/flashforge
# The journal lives here: mount a volume so a restart follows the orders it holds.
VOLUME ["/var/lib/flashforge"]
# /metrics and /health (set metrics.listen = "0.0.0.0:9464" in the configuration).
EXPOSE 9464
# SIGTERM stops the loop between ticks and drains orders in flight (shutdown.drain, 30 s by
# default): give `docker stop` more than that, e.g. `docker stop -t 45`.
STOPSIGNAL SIGTERM
ENTRYPOINT ["keeper", "run"]
CMD ["--config", "/etc/flashforge/keeper.toml"]
