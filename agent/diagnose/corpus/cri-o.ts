// The message table, cri-o: error strings as the components write them, with the answer
// explain must give. Data only, one row per line; the fields are described in rows.ts.
import type { StoredFile } from "./rows.js";

export const crio = {
  component: "cri-o",
  rows: [
    {
      message:
        'Failed to pull image "quay.io/acme/api:v9.9": initializing source docker://quay.io/acme/api:v9.9: reading manifest v9.9 in quay.io/acme/api: manifest unknown',
      cause: "not-found",
      project: "containers/image",
      file: "docker/docker_client.go",
      version: "v5.34",
      kind: "source",
      rule: "registry-manifest-unknown",
    },
    {
      message:
        'Failed to pull image "quay.io/acme/api:v9.9": rpc error: code = Unknown desc = reading manifest v9.9 in quay.io/acme/api: manifest unknown: manifest unknown',
      cause: "not-found",
      project: "containers/image",
      file: "docker/docker_client.go",
      version: "v5.24",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/ap:1.0": initializing source docker://registry.example.com/team/ap:1.0: reading manifest 1.0 in registry.example.com/team/ap: repository name not known to registry',
      cause: "not-found",
      project: "containers/image",
      file: "docker/distribution_error.go",
      version: "v5.34",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "quay.io/acme/web:2024.11": initializing source docker://quay.io/acme/web:2024.11: reading manifest 2024.11 in quay.io/acme/web: unknown: Tag 2024.11 was deleted or has expired. To pull, revive via time machine',
      cause: "not-found",
      project: "containers/image",
      file: "docker/distribution_error.go",
      version: "v5.34",
      kind: "source",
      rule: "quay-tag-expired",
      note: "Quay's TAG_EXPIRED is not a distribution code, so containers/image prints it as unknown",
    },
    {
      message:
        'Failed to pull image "harbor.corp.example/library/app:1.0": initializing source docker://harbor.corp.example/library/app:1.0: reading manifest 1.0 in harbor.corp.example/library/app: unknown: artifact library/app:1.0 not found',
      cause: "not-found",
      project: "containers/image",
      file: "docker/distribution_error.go",
      version: "v5.34",
      kind: "source",
      rule: "harbor-artifact-not-found",
    },
    {
      message:
        'Failed to pull image "123456789012.dkr.ecr.eu-central-1.amazonaws.com/shop/cart:1.4": initializing source docker://123456789012.dkr.ecr.eu-central-1.amazonaws.com/shop/cart:1.4: reading manifest 1.4 in 123456789012.dkr.ecr.eu-central-1.amazonaws.com/shop/cart: manifest unknown: Requested image not found',
      cause: "not-found",
      project: "containers/image",
      file: "docker/distribution_error.go",
      version: "v5.32",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "quay.io/acme/api:v2": reading blob sha256:9b2e8f1c4d6a0b3e7f5c2d8a1e4b6c0f3a9d7e5b2c8f1a4d6e0b3c7f9a2d5e81: fetching blob: blob unknown to registry',
      cause: "not-found",
      project: "containers/image",
      file: "docker/docker_client.go",
      version: "v5.34",
      kind: "source",
      rule: "registry-blob-unknown",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app:1.0": initializing source docker://registry.example.com/team/app:1.0: pinging container registry registry.example.com: StatusCode: 404, "<html>\\r\\n<head><title>404 Not Found</title></head>\\r\\n<body>\\r\\n<cente..."',
      cause: "not-found",
      project: "containers/image",
      file: "docker/errors.go",
      version: "v5.34",
      kind: "source",
      confident: false,
      rule: "http-404",
      note: "/v2/ is not a registry endpoint there (a web server in front)",
    },
    {
      message:
        'Failed to pull image "docker.io/acme/private-worker:4.1": initializing source docker://docker.io/acme/private-worker:4.1: reading manifest 4.1 in docker.io/acme/private-worker: requested access to the resource is denied',
      cause: "auth-required",
      project: "containers/image",
      file: "docker/distribution_error.go",
      version: "v5.34",
      kind: "source",
      confident: false,
      rule: "registry-requested-access-denied",
    },
    {
      message:
        'Failed to pull image "docker.io/acme/private-worker:4.1": rpc error: code = Unknown desc = reading manifest 4.1 in docker.io/acme/private-worker: errors:\ndenied: requested access to the resource is denied\nunauthorized: authentication required\n',
      cause: "auth-required",
      project: "containers/image",
      file: "docker/distribution_error.go",
      version: "v5.10",
      kind: "source",
      confident: false,
      note: "older containers/image kept both errors of Docker Hub's answer",
    },
    {
      message:
        'Failed to pull image "quay.io/acme/secret-sauce:2.0": initializing source docker://quay.io/acme/secret-sauce:2.0: reading manifest 2.0 in quay.io/acme/secret-sauce: unauthorized: access to the requested resource is not authorized',
      cause: "auth-required",
      project: "containers/image",
      file: "docker/distribution_error.go",
      version: "v5.34",
      kind: "source",
      confident: false,
      rule: "registry-unauthorized",
    },
    {
      message:
        'Failed to pull image "quay.io/acme/secret-sauce:2.0": initializing source docker://quay.io/acme/secret-sauce:2.0: unable to retrieve auth token: invalid username/password: unauthorized: Invalid Username or Password',
      cause: "auth-denied",
      project: "containers/image",
      file: "docker/errors.go",
      version: "v5.34",
      kind: "source",
      rule: "registry-invalid-credentials",
    },
    {
      message:
        'Failed to pull image "quay.io/acme/secret-sauce:2.0": initializing source docker://quay.io/acme/secret-sauce:2.0: unable to retrieve auth token: invalid username/password: unauthorized: authentication required',
      cause: "auth-denied",
      project: "containers/image",
      file: "docker/errors.go",
      version: "v5.34",
      kind: "source",
      confident: false,
      rule: "crio-token-unauthorized",
      note: "the same words whether a password was sent or not",
    },
    {
      message:
        'Failed to pull image "docker.io/acme/private-worker:4.1": initializing source docker://docker.io/acme/private-worker:4.1: unable to retrieve auth token: invalid username/password: unauthorized: incorrect username or password',
      cause: "auth-denied",
      project: "containers/image",
      file: "docker/errors.go",
      version: "v5.34",
      kind: "source",
      rule: "registry-incorrect-credentials",
    },
    {
      message:
        'Failed to pull image "registry.redhat.io/rhel9/postgresql-16:latest": initializing source docker://registry.redhat.io/rhel9/postgresql-16:latest: unable to retrieve auth token: invalid username/password: unauthorized: Please login to the Red Hat Registry using your Customer Portal credentials. Further instructions can be found here: https://access.redhat.com/RegistryAuthentication',
      cause: "auth-denied",
      project: "containers/image",
      file: "docker/errors.go",
      version: "v5.32",
      kind: "source",
      confident: false,
      note: "registry.redhat.io refuses anonymous and wrong logins alike; containers/image says invalid username/password",
    },
    {
      message:
        'Failed to pull image "ghcr.io/acme/internal-tools:0.9.3": initializing source docker://ghcr.io/acme/internal-tools:0.9.3: reading manifest 0.9.3 in ghcr.io/acme/internal-tools: Requesting bearer token: received unexpected HTTP status: 403 Forbidden',
      cause: "auth-denied",
      project: "containers/image",
      file: "docker/errors.go",
      version: "v5.34",
      kind: "source",
      confident: false,
      rule: "http-403",
      note: "the message does not say whether a token was sent",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app:1.0": initializing source docker://registry.example.com/team/app:1.0: reading manifest 1.0 in registry.example.com/team/app: Requesting bearer token: received unexpected HTTP status: 500 Internal Server Error',
      cause: "registry-unavailable",
      project: "containers/image",
      file: "docker/errors.go",
      version: "v5.34",
      kind: "source",
      rule: "crio-unexpected-http-status-5xx",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app:1.0": initializing source docker://registry.example.com/team/app:1.0: reading manifest 1.0 in registry.example.com/team/app: decoding bearer token (last URL "https://registry.example.com/service/token?scope=repository%3Ateam%2Fapp%3Apull&service=harbor-registry", body start "<!DOCTYPE html><html lang=\\"en\\"><head><meta"): invalid character \'<\' looking for beginning of value',
      cause: "unknown",
      project: "containers/image",
      file: "docker/docker_client.go",
      version: "v5.34",
      kind: "source",
      note: "a login page answered the token request; the text does not say whose fault",
    },
    {
      message:
        'Failed to pull image "nginx:1.27": initializing source docker://docker.io/library/nginx:1.27: reading manifest 1.27 in docker.io/library/nginx: toomanyrequests: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit',
      cause: "rate-limited",
      project: "containers/image",
      file: "docker/distribution_error.go",
      version: "v5.34",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "quay.io/acme/api:v2": initializing source docker://quay.io/acme/api:v2: reading manifest v2 in quay.io/acme/api: too many requests to registry',
      cause: "rate-limited",
      project: "containers/image",
      file: "docker/errors.go",
      version: "v5.34",
      kind: "source",
      rule: "crio-too-many-requests",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app:1.0": initializing source docker://registry.example.com/team/app:1.0: reading manifest 1.0 in registry.example.com/team/app: too many requests',
      cause: "rate-limited",
      project: "containers/image",
      file: "docker/distribution_error.go",
      version: "v5.34",
      kind: "source",
      rule: "registry-too-many-requests",
      note: "TOOMANYREQUESTS with its default text, which containers/image prints alone",
    },
    {
      message:
        'Failed to pull image "nginx:1.27": (Mirrors also failed: [mirror.corp.example/library/nginx:1.27: reading manifest 1.27 in mirror.corp.example/library/nginx: manifest unknown]): docker.io/library/nginx:1.27: reading manifest 1.27 in docker.io/library/nginx: toomanyrequests: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit',
      cause: "rate-limited",
      project: "containers/image",
      file: "docker/docker_image_src.go",
      version: "v5.34",
      kind: "source",
      note: "the primary registry's error decides; the mirror's comes first in the text",
    },
    {
      message:
        'Failed to pull image "nginx:1.27": (Mirrors also failed: [mirror.corp.example/library/nginx:1.27: pinging container registry mirror.corp.example: Get "https://mirror.corp.example/v2/": dial tcp: lookup mirror.corp.example: no such host]\n[mirror2.corp.example/library/nginx:1.27: pinging container registry mirror2.corp.example: Get "https://mirror2.corp.example/v2/": dial tcp 10.9.0.4:443: i/o timeout]): docker.io/library/nginx:1.27: reading manifest 1.27 in docker.io/library/nginx: manifest unknown',
      cause: "not-found",
      project: "containers/image",
      file: "docker/docker_image_src.go",
      version: "v5.34",
      kind: "source",
      note: "two mirrors down; the primary says the tag does not exist",
    },
    {
      message:
        'Failed to pull image "nginx:1.27": (Mirrors also failed: [mirror.corp.example/library/nginx:1.27: reading manifest 1.27 in mirror.corp.example/library/nginx: manifest unknown]): docker.io/library/nginx:1.27: pinging container registry registry-1.docker.io: Get "https://registry-1.docker.io/v2/": dial tcp 52.1.184.176:443: i/o timeout',
      cause: "network-timeout",
      project: "containers/image",
      file: "docker/docker_image_src.go",
      version: "v5.34",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "quay.io/ceph/ceph:v19.2.2": initializing source docker://quay.io/ceph/ceph:v19.2.2: pinging container registry quay.io: Get "https://quay.io/v2/": dial tcp: lookup quay.io: Temporary failure in name resolution',
      cause: "dns",
      project: "containers/image",
      file: "docker/docker_client.go",
      version: "v5.34",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "quay.io/ceph/ceph:v19.2.2": initializing source docker://quay.io/ceph/ceph:v19.2.2: pinging container registry quay.io: Get "https://quay.io/v2/": dial tcp: lookup quay.io on [::1]:53: read udp [::1]:52781->[::1]:53: read: connection refused',
      cause: "dns",
      project: "containers/image",
      file: "docker/docker_client.go",
      version: "v5.34",
      kind: "source",
      rule: "go-dns-lookup-failed",
    },
    {
      message:
        'Failed to pull image "quay.io/ceph/ceph:v19.2.2": initializing source docker://quay.io/ceph/ceph:v19.2.2: pinging container registry quay.io: Get "https://quay.io/v2/": dial tcp 44.218.55.10:443: i/o timeout',
      cause: "network-timeout",
      project: "containers/image",
      file: "docker/docker_client.go",
      version: "v5.34",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.internal:5000/batch/etl:2.3": image pull failed for registry.internal:5000/batch/etl:2.3 because the registry is unavailable: initializing source docker://registry.internal:5000/batch/etl:2.3: pinging container registry registry.internal:5000: Get "https://registry.internal:5000/v2/": dial tcp 10.40.2.15:5000: connect: connection refused',
      cause: "connection-refused",
      project: "cri-o/cri-o",
      file: "server/image_pull.go",
      version: "1.32",
      kind: "source",
      note: "CRI-O marks ECONNREFUSED as RegistryUnavailable; kubelet rewrites the prefix",
    },
    {
      message:
        'Jun 12 09:14:03 worker-2 kubelet[1843]: E0612 09:14:03.512733    1843 log.go:32] "PullImage from image service failed" err="rpc error: code = Unknown desc = RegistryUnavailable: initializing source docker://registry.internal:5000/batch/etl:2.3: pinging container registry registry.internal:5000: Get \\"https://registry.internal:5000/v2/\\": dial tcp 10.40.2.15:5000: connect: connection refused" image="registry.internal:5000/batch/etl:2.3"',
      cause: "connection-refused",
      project: "cri-o/cri-o",
      file: "server/image_pull.go",
      version: "1.32",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.lab.example:5000/ci/runner:1": initializing source docker://registry.lab.example:5000/ci/runner:1: pinging container registry registry.lab.example:5000: Get "https://registry.lab.example:5000/v2/": http: server gave HTTP response to HTTPS client',
      cause: "tls",
      project: "containers/image",
      file: "docker/docker_client.go",
      version: "v5.34",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.lab.example:5000/ci/runner:1": initializing source docker://registry.lab.example:5000/ci/runner:1: pinging container registry registry.lab.example:5000: Get "https://registry.lab.example:5000/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority',
      cause: "tls",
      project: "containers/image",
      file: "docker/docker_client.go",
      version: "v5.34",
      kind: "source",
    },
    {
      message:
        'Error: initializing source docker://localhost/web:latest: pinging container registry localhost: Get "https://localhost/v2/": tls: failed to verify certificate: x509: certificate is valid for *.apps-crc.testing, not localhost',
      cause: "tls",
      project: "containers/podman",
      file: "vendored containers/image",
      version: "5.2",
      kind: "issue",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app:1.0": reading blob sha256:4f7a2c9e1b5d8f3a6c0e9b2d5f8a1c4e7b0d3f6a9c2e5b8d1f4a7c0e3b6d9f12: fetching blob: received unexpected HTTP status: 502 Bad Gateway',
      cause: "registry-unavailable",
      project: "containers/image",
      file: "docker/docker_client.go",
      version: "v5.34",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app:1.0": copying system image from manifest list: writing blob: storing blob to file "/var/tmp/container_images_storage1234567890/1": happened during read: unexpected EOF',
      cause: "registry-unavailable",
      project: "containers/image",
      file: "copy/single.go",
      version: "v5.34",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app:1.0": copying system image from manifest list: reading blob sha256:c3d1f0a9e8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1: Get "https://s3.eu-west-1.amazonaws.com/registry-bucket/docker/registry/v2/blobs/sha256/c3/c3d1f0a9e8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1/data?X-Amz-Expires=1200": read tcp 10.0.5.9:40122->52.218.1.9:443: read: connection reset by peer',
      cause: "connection-refused",
      project: "containers/image",
      file: "docker/docker_client.go",
      version: "v5.34",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app:1.0": copying system image from manifest list: reading blob sha256:c3d1f0a9e8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1: Get "https://registry.example.com/v2/team/app/blobs/sha256:c3d1f0a9e8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1": context deadline exceeded',
      cause: "pull-timeout",
      project: "containers/image",
      file: "docker/docker_client.go",
      version: "v5.34",
      kind: "source",
      rule: "containerd-blob-deadline",
    },
    {
      message:
        'Failed to pull image "tensorflow/tensorflow:2.19.0-gpu": writing blob: adding layer with blob "sha256:0e5d2b8a4c1f7e3d9b6a2c8f4e1d7b3a9c5f2e8d4b1a7c3f9e6d2b8a5c1f7e4d": processing tar file(write /usr/local/lib/python3.11/dist-packages/tensorflow/libtensorflow_cc.so.2: no space left on device): exit status 1',
      cause: "disk-full",
      project: "containers/image",
      file: "storage/storage_dest.go",
      version: "v5.34",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "quay.io/acme/api:v2": choosing an image from manifest list docker://quay.io/acme/api:v2: no image found in manifest list for architecture "arm64", variant "v8", OS "linux"',
      cause: "platform-mismatch",
      project: "containers/image",
      file: "internal/manifest/docker_schema2_list.go",
      version: "v5.34",
      kind: "source",
    },
    {
      message: 'Failed to pull image "quay.io/acme/api:v2": no image found in image index for architecture "s390x", variant "", OS "linux"',
      cause: "platform-mismatch",
      project: "containers/image",
      file: "internal/manifest/oci_index.go",
      version: "v5.34",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "postgres:16": short-name "postgres:16" did not resolve to an alias and no unqualified-search registries are defined in "/etc/containers/registries.conf"',
      cause: "invalid-reference",
      project: "containers/image",
      file: "pkg/shortnames/shortnames.go",
      version: "v5.34",
      kind: "source",
    },
    {
      message: 'Error: short-name "alpine" did not resolve to an alias and no containers-registries.conf(5) was found',
      cause: "invalid-reference",
      project: "containers/image",
      file: "pkg/shortnames/shortnames.go",
      version: "v5.34",
      kind: "source",
    },
    {
      message: "Error: short-name resolution enforced but cannot prompt without a TTY",
      cause: "invalid-reference",
      project: "containers/podman",
      file: "vendored containers/image pkg/shortnames",
      version: "5.4",
      kind: "source",
    },
    {
      message: 'Failed to pull image "redis": short name mode is enforcing, but image name redis returns ambiguous list',
      cause: "invalid-reference",
      project: "cri-o/cri-o",
      file: "internal/storage/image.go",
      version: "1.33",
      kind: "source",
      rule: "crio-short-name-ambiguous",
    },
    {
      message: 'Failed to pull image "quay.io/acme/api:v2": Source image rejected: A signature was required, but no signature exists',
      cause: "unknown",
      project: "containers/image",
      file: "signature/policy_eval_signedby.go",
      version: "v5.34",
      kind: "source",
      note: "hint signature-policy-rejected",
    },
    {
      message:
        'Failed to pull image "quay.io/acme/api:v2": image pull failed for quay.io/acme/api:v2 because the signature validation failed: Source image rejected: Running image docker://quay.io/acme/api:v2 is rejected by policy.',
      cause: "unknown",
      project: "kubernetes/kubernetes",
      file: "pkg/kubelet/images/image_manager.go",
      version: "1.32",
      kind: "source",
      note: "CRI-O's SignatureValidationFailed as kubelet prints it",
    },
    {
      message:
        'Failed to pull image "quay.io/acme/api:v2": SignatureValidationFailed: Source image rejected: None of the signatures were accepted, reasons: Signature for identity "quay.io/acme/api" is not accepted',
      cause: "unknown",
      project: "cri-o/cri-o",
      file: "internal/storage/image.go",
      version: "1.31",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "docker.io/library/nginx:1.27": registry docker.io is blocked in /etc/containers/registries.conf or /etc/containers/registries.conf.d',
      cause: "unknown",
      project: "containers/image",
      file: "docker/docker_client.go",
      version: "v5.34",
      kind: "source",
      note: "hint registries-conf-blocked",
    },
    {
      message:
        'Failed to pull image "quay.io/acme/model-weights:v1": unable to pull image or OCI artifact: pull image err: initializing source docker://quay.io/acme/model-weights:v1: reading manifest v1 in quay.io/acme/model-weights: manifest unknown; artifact err: get manifest: unable to get manifest: reading manifest v1 in quay.io/acme/model-weights: manifest unknown',
      cause: "not-found",
      project: "cri-o/cri-o",
      file: "internal/storage/image.go",
      version: "1.34",
      kind: "source",
      note: "image volumes (KEP-4639): CRI-O tries the reference as an image, then as an OCI artifact",
    },
    {
      message:
        'Failed to pull image "quay.io/acme/model-weights:v1": unable to pull image or OCI artifact: pull image err: initializing source docker://quay.io/acme/model-weights:v1: pinging container registry quay.io: Get "https://quay.io/v2/": dial tcp: lookup quay.io: no such host; artifact err: unable to get manifest: pinging container registry quay.io: Get "https://quay.io/v2/": dial tcp: lookup quay.io: no such host',
      cause: "dns",
      project: "cri-o/cri-o",
      file: "internal/storage/image.go",
      version: "1.34",
      kind: "source",
    },
    {
      message:
        "Trying to pull docker.io/library/privatething:latest...\nError: initializing source docker://privatething:latest: reading manifest latest in docker.io/library/privatething: requested access to the resource is denied",
      cause: "auth-required",
      project: "containers/podman",
      file: "cmd/podman (pull)",
      version: "5.4",
      kind: "issue",
      confident: false,
    },
    {
      message:
        'Error: initializing source docker://localhost/myimage:latest: pinging container registry localhost: Get "https://localhost/v2/": dial tcp [::1]:443: connect: connection refused',
      cause: "connection-refused",
      project: "containers/podman",
      file: "cmd/podman (pull)",
      version: "5.4",
      kind: "issue",
      note: "podman treats a localhost/ name as a registry host",
    },
    {
      message: 'Error: parsing reference "Docker.io/Library/Alpine": invalid reference format: repository name (Library/Alpine) must be lowercase',
      cause: "invalid-reference",
      project: "containers/common",
      file: "libimage/pull.go",
      version: "0.62",
      kind: "source",
    },
    {
      message: 'Error: parsing reference "quay.io/acme/api@sha256:12345": invalid checksum digest length',
      cause: "invalid-reference",
      project: "containers/common",
      file: "libimage/pull.go",
      version: "0.62",
      kind: "source",
      rule: "reference-invalid-digest",
    },
    {
      message:
        'copying system image from manifest list: writing blob: storing blob to file "/var/tmp/container_images_storage9876543210/2": context deadline exceeded',
      cause: "pull-timeout",
      project: "containers/image",
      file: "copy/single.go",
      version: "v5.34",
      kind: "source",
      rule: "go-context-deadline",
    },
    {
      message:
        'Jun 12 09:30:41 worker-8 crio[1020]: time="2025-06-12 09:30:41.220114537Z" level=warning msg="Timed out on waiting up to 10s for image pull progress updates" id=3f0c2d7e-1a2b-4c3d-9e8f-0a1b2c3d4e5f name=/runtime.v1.ImageService/PullImage',
      cause: "pull-timeout",
      project: "cri-o/cri-o",
      file: "server/image_pull.go",
      version: "1.32",
      kind: "source",
      rule: "crio-pull-progress-timeout",
    },
    {
      message:
        'Failed to pull image "quay.io/acme/model-server:7.0": copying system image from manifest list: writing blob: storing blob to file "/var/tmp/container_images_storage2468013579/4": context canceled',
      cause: "pull-timeout",
      project: "cri-o/cri-o",
      file: "server/image_pull.go (after pull_progress_timeout)",
      version: "1.32",
      kind: "source",
      rule: "go-context-canceled",
    },
  ],
} satisfies StoredFile;
