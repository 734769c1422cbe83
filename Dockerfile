# The msnbench container image: one static binary in an otherwise empty image.
#
#   docker build -t ghcr.io/OWNER/msnbench:latest --build-arg VERSION=$(git describe --tags --always) .
#   docker push ghcr.io/OWNER/msnbench:latest
#
# deploy/kubernetes/ runs this image (replace ghcr.io/OWNER with your registry
# in both places). scripts/image.sh builds the same image without a Docker
# daemon or network access (podman or buildah, FROM scratch).

FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO_ENABLED=0: a static binary that needs no libc, so the final image can be empty.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/msnbench ./cmd/msnbench

FROM scratch
COPY --from=build /out/msnbench /msnbench
# Not root: the same numeric user the Kubernetes manifests ask for (runAsUser: 65532).
USER 65532:65532
ENTRYPOINT ["/msnbench"]
