# mvmbot container image: a static Go binary on distroless, run as non-root,
# with the bbolt database on the /data volume.
#
#   docker build --build-arg VERSION=1.4.2 -t mvmbot:1.4.2 .
#   docker compose up        (see compose.yaml)
#
# No BuildKit-only syntax (cache mounts, platform args) is used, so the same
# file builds with `az acr build` and older engines.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# VERSION becomes main.version: what the bot reports and the manifest
# version of `mvmbot package`. Pass MAJOR.MINOR.PATCH; left empty, the binary
# reports "(devel)", which runs fine but cannot be packaged for Teams.
ARG VERSION=
# CGO off: a static binary needs no libc, so it runs on distroless/static.
# -trimpath keeps build paths out of the binary; -s -w drop debug symbols.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
        -o /out/mvmbot ./cmd/mvmbot \
    && mkdir -p /out/data

# distroless/static has CA certificates (Bot Connector, Entra and Graph are
# all TLS) and time zone data, and no shell. The :nonroot tag runs as uid
# 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mvmbot /usr/local/bin/mvmbot
# An empty /data owned by the runtime user: Docker copies it, ownership
# included, into a new named volume, so bbolt can create its file there.
COPY --from=build --chown=65532:65532 /out/data /data
ENV MVMBOT_DB=/data/mvmbot.db \
    PORT=3978
USER 65532:65532
VOLUME /data
EXPOSE 3978
# The image has no shell or curl, so the binary checks itself: `mvmbot
# healthcheck` GETs http://127.0.0.1:$PORT/healthz and exits 0 or 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["/usr/local/bin/mvmbot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/mvmbot"]
