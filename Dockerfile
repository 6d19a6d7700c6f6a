# Gatehouse container image.
#
#   docker build -t gatehouse .
#   docker run --rm -p 127.0.0.1:8080:8080 -v gatehouse-data:/data \
#       -e GATEHOUSE_ISSUER=http://localhost:8080 gatehouse
#
# See docs/DEPLOYMENT.md (master key, https issuer, metrics, health checks).

# --- build ------------------------------------------------------------------
FROM rust:1-bookworm AS builder

# libpq and SQLite are built from source by their crates; libpq links OpenSSL.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src

# Dependencies first, in their own layer: it is rebuilt only when Cargo.toml or
# Cargo.lock change, not on every source edit.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked --bin gatehouse \
    && rm -rf src

# The application: templates (askama), static files, migrations and
# config/default.toml are compiled into the binary.
COPY src ./src
COPY templates ./templates
COPY static ./static
COPY migrations ./migrations
COPY config ./config
# COPY keeps the files' old mtimes; make sure cargo rebuilds over the stub.
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked --bin gatehouse \
    && cp target/release/gatehouse /usr/local/bin/gatehouse \
    && /usr/local/bin/gatehouse --version

# --- runtime ----------------------------------------------------------------
FROM debian:bookworm-slim

# curl only for the HEALTHCHECK below.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 curl \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 gatehouse \
    && useradd --system --uid 10001 --gid gatehouse --home-dir /app --shell /usr/sbin/nologin gatehouse \
    && mkdir -p /app /data \
    && chown gatehouse:gatehouse /data

WORKDIR /app
COPY --from=builder /usr/local/bin/gatehouse /app/gatehouse
RUN ln -s /app/gatehouse /usr/local/bin/gatehouse

# Listen on every interface inside the container; the metrics listener stays
# on the container's loopback unless GATEHOUSE_METRICS_LISTEN says otherwise
# (compose publishes it to the host's loopback only). The issuer must be set
# to the public URL: https, or http only for a loopback host.
#
# MALLOC_MMAP_THRESHOLD_: each password check allocates argon2's 19 MiB
# buffer. glibc's adaptive threshold would move such blocks onto its heaps
# after the first one is freed, and keep them there (RSS 18 -> 38 MiB after a
# single sign-in, more after a burst of concurrent ones); a fixed threshold
# keeps them mmap'ed, so they go back to the system when freed.
ENV GATEHOUSE_LISTEN=0.0.0.0:8080 \
    GATEHOUSE_DATA_DIR=/data \
    GATEHOUSE__LOG__FORMAT=json \
    MALLOC_MMAP_THRESHOLD_=131072

# The embedded SQLite database and the generated master key live here when no
# GATEHOUSE_DATABASE_URL / GATEHOUSE_MASTER_KEY is given.
VOLUME ["/data"]
EXPOSE 8080 9090

# Numeric, so runAsNonRoot-style checks can verify it.
USER 10001:10001

# Liveness, on the port of GATEHOUSE_LISTEN (shell form for the expansion);
# /readyz also checks the database.
# hadolint ignore=DL3025
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${GATEHOUSE_LISTEN##*:}/healthz" || exit 1

ENTRYPOINT ["/app/gatehouse"]
CMD ["serve"]
