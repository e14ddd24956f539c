# backstop exporter image: `backstop exporter` in a cluster (docs/EXPORTER.md).
#
#   docker build -t registry.example.com/backstop:0.1.0 .
#   docker push registry.example.com/backstop:0.1.0
#   backstop exporter manifests --image registry.example.com/backstop:0.1.0 | kubectl apply -f -
#
# Stage 1 builds the release binary with the toolchain the project is tested on (Rust 1.95).
# TLS is rustls and the allocator is compiled in, so the binary needs only glibc and libgcc.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin backstop \
 && install -m 0755 target/release/backstop /backstop

# Stage 2: distroless "cc" (glibc, libgcc, CA certificates; no shell, no package manager),
# run as its built-in unprivileged user 65532. The root filesystem can be mounted read-only:
# the exporter writes nothing to disk when its log goes to stderr (the manifests do that).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /backstop /usr/local/bin/backstop
USER 65532:65532
EXPOSE 9963
ENTRYPOINT ["/usr/local/bin/backstop"]
CMD ["exporter", "--log-file", "/dev/stderr"]
