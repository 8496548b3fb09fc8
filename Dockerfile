# syntax=docker/dockerfile:1
#
# Tollgate's production image, for machines that reach an image registry:
#
#   docker build -t tollgate:latest .
#
# The same image as `cargo xtask image` assembles FROM scratch (xtask/src/image.rs), which is what
# the project's own machines build and run: they reach no image registry, so this file is not
# built there. A test in xtask/src/image.rs keeps the two alike — the files and their paths, user,
# environment, port, health check and command — and checks the tool pins below against
# xtask/src/tools.rs. The build steps are those of `cargo xtask release` (xtask/src/release.rs).

# ---- Build: the release server, the size-optimised WASM, hashed and precompressed assets ----
FROM rust:1.95-bookworm AS build

# Node 20 for the npm tools cargo-leptos runs (sass, binaryen's wasm-opt: Debian's wasm-opt
# makes a bundle that breaks in the browser).
COPY --from=node:20-bookworm-slim /usr/local/bin/node /usr/local/bin/node
COPY --from=node:20-bookworm-slim /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm

RUN rustup target add wasm32-unknown-unknown
# Pinned as in xtask/src/tools.rs. `no_downloads`: cargo-leptos uses the tools on PATH and never
# fetches its own. wasm-bindgen-cli's lockfile names a crate version the registry lacks: no --locked.
RUN cargo install --locked --features no_downloads cargo-leptos --version 0.3.10 \
 && cargo install wasm-bindgen-cli --version 0.2.130

WORKDIR /src
COPY end2end/package.json end2end/package-lock.json end2end/
RUN cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund

COPY . .
# Queries are checked against the committed .sqlx/ (no database at build time).
RUN PATH="/src/end2end/node_modules/.bin:$PATH" SQLX_OFFLINE=true LEPTOS_HASH_FILES=true \
    cargo leptos build --release --precompress --cargo-locked
# Without its symbol table, as `cargo xtask image` ships it (backtraces lose function names).
RUN strip --strip-all target/release/server

# ---- Runtime: glibc and libgcc from distroless, the server, hash.txt beside it, the site ----
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/server /server
COPY --from=build /src/target/release/hash.txt /hash.txt
COPY --from=build /src/target/site/ /site/
ENV LEPTOS_SITE_ROOT=/site
ENV LEPTOS_SITE_ADDR=0.0.0.0:3000
# nobody, as in the xtask image (distroless's own nonroot is 65532).
USER 65534:65534
EXPOSE 3000
# `server healthcheck` GETs /healthz on LEPTOS_SITE_ADDR and exits 0 or 1 (there is no shell).
HEALTHCHECK --interval=10s --timeout=6s --start-period=5s --retries=3 CMD ["/server", "healthcheck"]
ENTRYPOINT ["/server"]
CMD ["serve"]
