// The message table, containerd: error strings as the components write them, with the answer
// explain must give. Data only, one row per line; the fields are described in rows.ts.
import type { StoredFile } from "./rows.js";

export const containerd = {
  component: "containerd",
  rows: [
    {
      message:
        'Failed to pull image "nginx:1.29.9": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.29.9": failed to resolve reference "docker.io/library/nginx:1.29.9": docker.io/library/nginx:1.29.9: not found',
      cause: "not-found",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
      rule: "containerd-resolve-not-found",
    },
    {
      message:
        'Failed to pull image "registry.k8s.io/kube-proxy:v1.31.99": rpc error: code = NotFound desc = failed to pull and unpack image "registry.k8s.io/kube-proxy:v1.31.99": failed to resolve reference "registry.k8s.io/kube-proxy:v1.31.99": registry.k8s.io/kube-proxy:v1.31.99: not found',
      cause: "not-found",
      project: "containerd/containerd",
      file: "remotes/docker/resolver.go",
      version: "1.6",
      kind: "source",
      rule: "containerd-resolve-not-found",
    },
    {
      message:
        'Jun 12 09:14:03 worker-2 kubelet[1843]: E0612 09:14:03.512733    1843 log.go:32] "PullImage from image service failed" err="rpc error: code = NotFound desc = failed to pull and unpack image \\"quay.io/prometheus/node-exporter:v1.99.0\\": failed to resolve reference \\"quay.io/prometheus/node-exporter:v1.99.0\\": quay.io/prometheus/node-exporter:v1.99.0: not found" image="quay.io/prometheus/node-exporter:v1.99.0"',
      cause: "not-found",
      project: "containerd/containerd",
      file: "remotes/docker/resolver.go",
      version: "1.7",
      kind: "source",
      rule: "containerd-resolve-not-found",
    },
    {
      message:
        'time="2025-06-12T09:14:03.512233124Z" level=error msg="PullImage \\"mirror.internal.example/library/redis:7.9\\" failed" error="failed to pull and unpack image \\"mirror.internal.example/library/redis:7.9\\": failed to resolve reference \\"mirror.internal.example/library/redis:7.9\\": mirror.internal.example/library/redis:7.9: not found"',
      cause: "not-found",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.0",
      kind: "source",
    },
    {
      message: "ctr: failed to resolve image: docker.io/bitnami/postgresql:16.99.0: not found",
      cause: "not-found",
      project: "containerd/containerd",
      file: "core/transfer/local/pull.go",
      version: "2.0",
      kind: "source",
      note: "ctr image pull through the transfer service",
    },
    {
      message:
        'Failed to pull image "ghcr.io/acme/billing-api:2025.06.1": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/acme/billing-api:2025.06.1": failed to copy: httpReadSeeker: failed open: could not fetch content descriptor sha256:9b2e8f1c4d6a0b3e7f5c2d8a1e4b6c0f3a9d7e5b2c8f1a4d6e0b3c7f9a2d5e81 (application/vnd.oci.image.layer.v1.tar+gzip) from remote: not found',
      cause: "not-found",
      project: "containerd/containerd",
      file: "core/remotes/docker/fetcher.go",
      version: "2.1",
      kind: "source",
      rule: "containerd-fetch-not-found",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app:1.0": rpc error: code = NotFound desc = failed to pull and unpack image "registry.example.com/team/app:1.0": failed to copy: httpReadSeeker: failed open: content at https://registry.example.com/v2/team/app/manifests/sha256:4f7a2c9e1b5d8f3a6c0e9b2d5f8a1c4e7b0d3f6a9c2e5b8d1f4a7c0e3b6d9f12 not found: not found',
      cause: "not-found",
      project: "containerd/containerd",
      file: "remotes/docker/fetcher.go",
      version: "1.6",
      kind: "source",
      rule: "containerd-content-at-not-found",
    },
    {
      message:
        'Failed to pull image "harbor.corp.example/platform/gateway:3.2": rpc error: code = NotFound desc = failed to pull and unpack image "harbor.corp.example/platform/gateway:3.2": failed to copy: httpReadSeeker: failed open: could not fetch content sha256:c3d1f0a9e8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1 from remote: not found',
      cause: "not-found",
      project: "containerd/containerd",
      file: "core/remotes/docker/fetcher.go",
      version: "2.1",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "busybox:1.37": failed to pull and unpack image "docker.io/library/busybox:1.37": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/busybox/blobs/sha256:0e5d2b8a4c1f7e3d9b6a2c8f4e1d7b3a9c5f2e8d4b1a7c3f9e6d2b8a5c1f7e4d: 404 Not Found',
      cause: "not-found",
      project: "containerd/containerd",
      file: "remotes/docker/fetcher.go",
      version: "1.7",
      kind: "source",
      confident: false,
      note: "a blob 404 in the 1.7 fetcher's older wording",
    },
    {
      message:
        'Failed to pull image "acme/private-worker:4.1": failed to pull and unpack image "docker.io/acme/private-worker:4.1": failed to resolve reference "docker.io/acme/private-worker:4.1": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
      cause: "auth-required",
      project: "containerd/containerd",
      file: "core/remotes/docker/authorizer.go",
      version: "2.1",
      kind: "source",
      confident: false,
      rule: "containerd-pull-access-denied",
    },
    {
      message:
        'Failed to pull image "nginxx": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/nginxx:latest": failed to resolve reference "docker.io/library/nginxx:latest": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
      cause: "auth-required",
      project: "containerd/containerd",
      file: "remotes/docker/authorizer.go",
      version: "1.6",
      kind: "source",
      confident: false,
      note: "a misspelt public name gets the same answer as a private repository",
    },
    {
      message:
        'Failed to pull image "acme/reporting:1.2": failed to pull and unpack image "docker.io/acme/reporting:1.2": failed to resolve reference "docker.io/acme/reporting:1.2": pull access denied, repository does not exist or may require authorization: server message: invalid_token: authorization failed',
      cause: "auth-required",
      project: "containerd/containerd",
      file: "core/remotes/docker/authorizer.go",
      version: "2.0",
      kind: "source",
      confident: false,
    },
    {
      message:
        'Failed to pull image "123456789012.dkr.ecr.us-west-2.amazonaws.com/payments/api:v42": failed to pull and unpack image "123456789012.dkr.ecr.us-west-2.amazonaws.com/payments/api:v42": failed to resolve reference "123456789012.dkr.ecr.us-west-2.amazonaws.com/payments/api:v42": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials',
      cause: "auth-required",
      project: "containerd/containerd",
      file: "core/remotes/docker/authorizer.go",
      version: "2.1",
      kind: "source",
      rule: "containerd-no-basic-auth",
    },
    {
      message:
        'Jun 12 09:14:03 worker-2 kubelet[1843]: E0612 09:14:03.512733    1843 log.go:32] "PullImage from image service failed" err="rpc error: code = Unknown desc = failed to pull and unpack image \\"nexus.corp.example:8443/docker-hosted/batch:7\\": failed to resolve reference \\"nexus.corp.example:8443/docker-hosted/batch:7\\": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials" image="nexus.corp.example:8443/docker-hosted/batch:7"',
      cause: "auth-required",
      project: "containerd/containerd",
      file: "remotes/docker/authorizer.go",
      version: "1.7",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "ghcr.io/acme/internal-tools:0.9.3": failed to pull and unpack image "ghcr.io/acme/internal-tools:0.9.3": failed to resolve reference "ghcr.io/acme/internal-tools:0.9.3": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aacme%2Finternal-tools%3Apull&service=ghcr.io: 403 Forbidden',
      cause: "auth-required",
      project: "containerd/containerd",
      file: "core/remotes/docker/authorizer.go",
      version: "2.1",
      kind: "source",
      confident: false,
      rule: "http-403-anonymous",
      note: "GHCR answers an anonymous token request for a private or missing package with 403",
    },
    {
      message:
        'Failed to pull image "ghcr.io/acme/internal-tools:0.9.3": rpc error: code = Unknown desc = failed to pull and unpack image "ghcr.io/acme/internal-tools:0.9.3": failed to resolve reference "ghcr.io/acme/internal-tools:0.9.3": failed to authorize: failed to fetch anonymous token: unexpected status: 403 Forbidden',
      cause: "auth-required",
      project: "containerd/containerd",
      file: "remotes/docker/authorizer.go",
      version: "1.6",
      kind: "source",
      confident: false,
      note: "1.6.0-1.6.x before the URL was added to the status error",
    },
    {
      message:
        'Failed to pull image "quay.io/acme/secret-sauce:2.0": failed to pull and unpack image "quay.io/acme/secret-sauce:2.0": failed to resolve reference "quay.io/acme/secret-sauce:2.0": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://quay.io/v2/auth?scope=repository%3Aacme%2Fsecret-sauce%3Apull&service=quay.io: 401 UNAUTHORIZED',
      cause: "auth-required",
      project: "containerd/containerd",
      file: "core/remotes/docker/authorizer.go",
      version: "2.0",
      kind: "source",
      confident: false,
    },
    {
      message:
        'Failed to pull image "ghcr.io/acme/internal-tools:0.9.3": failed to pull and unpack image "ghcr.io/acme/internal-tools:0.9.3": failed to resolve reference "ghcr.io/acme/internal-tools:0.9.3": failed to authorize: failed to fetch oauth token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aacme%2Finternal-tools%3Apull&service=ghcr.io: 403 Forbidden',
      cause: "auth-denied",
      project: "containerd/containerd",
      file: "core/remotes/docker/authorizer.go",
      version: "2.1",
      kind: "source",
      rule: "containerd-oauth-token-rejected",
      note: "the secret was sent (POST then GET with basic auth) and refused, e.g. an expired PAT",
    },
    {
      message:
        'Failed to pull image "registry.gitlab.com/acme/web/frontend:main": failed to pull and unpack image "registry.gitlab.com/acme/web/frontend:main": failed to resolve reference "registry.gitlab.com/acme/web/frontend:main": failed to authorize: failed to fetch oauth token: unexpected status from GET request to https://gitlab.com/jwt/auth?scope=repository%3Aacme%2Fweb%2Ffrontend%3Apull&service=container_registry: 401 Unauthorized',
      cause: "auth-denied",
      project: "containerd/containerd",
      file: "remotes/docker/authorizer.go",
      version: "1.7",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "artifactory.corp.example/docker-remote/library/node:22": rpc error: code = Unknown desc = failed to pull and unpack image "artifactory.corp.example/docker-remote/library/node:22": failed to resolve reference "artifactory.corp.example/docker-remote/library/node:22": failed to authorize: failed to fetch oauth token: unexpected status from POST request to https://artifactory.corp.example/artifactory/api/docker/docker-remote/v2/token: 403 Forbidden',
      cause: "auth-denied",
      project: "containerd/containerd",
      file: "remotes/docker/authorizer.go",
      version: "1.6",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "harbor.corp.example/payments/ledger:5.4.0": failed to pull and unpack image "harbor.corp.example/payments/ledger:5.4.0": failed to resolve reference "harbor.corp.example/payments/ledger:5.4.0": unexpected status from HEAD request to https://harbor.corp.example/v2/payments/ledger/manifests/5.4.0: 401 Unauthorized',
      cause: "auth-required",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
      confident: false,
      rule: "http-401",
    },
    {
      message:
        'Failed to pull image "registry.example.com:5000/team/app:1.0": failed to pull and unpack image "registry.example.com:5000/team/app:1.0": failed to resolve reference "registry.example.com:5000/team/app:1.0": unexpected status from HEAD request to https://registry.example.com:5000/v2/team/app/manifests/1.0: 403 Forbidden',
      cause: "auth-denied",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.0",
      kind: "source",
      confident: false,
      rule: "http-403",
    },
    {
      message:
        'Failed to pull image "registry.example.com:5000/team/app:1.0": failed to pull and unpack image "registry.example.com:5000/team/app:1.0": failed to copy: httpReadSeeker: failed open: unexpected status from GET request to https://registry.example.com:5000/v2/team/app/blobs/sha256:9b2e8f1c4d6a0b3e7f5c2d8a1e4b6c0f3a9d7e5b2c8f1a4d6e0b3c7f9a2d5e81: 401 Unauthorized\nunauthorized: authentication required',
      cause: "auth-required",
      project: "containerd/containerd",
      file: "core/remotes/docker/fetcher.go",
      version: "2.1",
      kind: "source",
      confident: false,
      note: "2.x joins the registry's error body under the status line",
    },
    {
      message:
        'Failed to pull image "redis:7.4": failed to pull and unpack image "docker.io/library/redis:7.4": failed to resolve reference "docker.io/library/redis:7.4": failed to authorize: failed to fetch anonymous token: Get "https://auth.docker.io/token?scope=repository%3Alibrary%2Fredis%3Apull&service=registry.docker.io": dial tcp: lookup auth.docker.io on 10.96.0.10:53: no such host',
      cause: "dns",
      project: "containerd/containerd",
      file: "core/remotes/docker/authorizer.go",
      version: "2.1",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "redis:7.4": failed to pull and unpack image "docker.io/library/redis:7.4": failed to resolve reference "docker.io/library/redis:7.4": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://auth.docker.io/token?scope=repository%3Alibrary%2Fredis%3Apull&service=registry.docker.io: 503 Service Unavailable',
      cause: "registry-unavailable",
      project: "containerd/containerd",
      file: "core/remotes/docker/authorizer.go",
      version: "2.0",
      kind: "source",
    },
    {
      message:
        'ctr: failed to resolve reference "private.registry.example/ops/agent:3": failed to authorize: failed to find supported auth scheme: not implemented',
      cause: "auth-required",
      project: "containerd/containerd",
      file: "remotes/docker/authorizer.go",
      version: "1.6",
      kind: "source",
      rule: "containerd-unsupported-auth-scheme",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app:1.0": failed to pull and unpack image "registry.example.com/team/app:1.0": failed to resolve reference "registry.example.com/team/app:1.0": failed to authorize: failed to handle basic auth because missing username or secret',
      cause: "auth-required",
      project: "containerd/containerd",
      file: "core/remotes/docker/authorizer.go",
      version: "2.1",
      kind: "source",
      rule: "containerd-basic-auth-missing",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app:1.0": failed to pull and unpack image "registry.example.com/team/app:1.0": failed to resolve reference "registry.example.com/team/app:1.0": invalid decoded auth: "robot$team-puller"',
      cause: "secret-invalid",
      project: "containerd/containerd",
      file: "internal/cri/server/images/image_pull.go",
      version: "2.1",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app:1.0": rpc error: code = Unknown desc = failed to pull and unpack image "registry.example.com/team/app:1.0": failed to resolve reference "registry.example.com/team/app:1.0": illegal base64 data at input byte 16',
      cause: "secret-invalid",
      project: "containerd/containerd",
      file: "pkg/cri/server/image_pull.go",
      version: "1.6",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "python:3.13-slim": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/python:3.13-slim": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/python/manifests/sha256:4f7a2c9e1b5d8f3a6c0e9b2d5f8a1c4e7b0d3f6a9c2e5b8d1f4a7c0e3b6d9f12: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
      cause: "rate-limited",
      project: "containerd/containerd",
      file: "remotes/docker/fetcher.go",
      version: "1.6",
      kind: "source",
      rule: "dockerhub-pull-rate-limit",
    },
    {
      message:
        'Failed to pull image "python:3.13-slim": failed to pull and unpack image "docker.io/library/python:3.13-slim": failed to resolve reference "docker.io/library/python:3.13-slim": unexpected status from HEAD request to https://registry-1.docker.io/v2/library/python/manifests/3.13-slim: 429 Too Many Requests',
      cause: "rate-limited",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
      rule: "http-429",
    },
    {
      message:
        'Failed to pull image "grafana/grafana:11.4.0": failed to pull and unpack image "docker.io/grafana/grafana:11.4.0": failed to copy: httpReadSeeker: failed open: unexpected status from GET request to https://registry-1.docker.io/v2/grafana/grafana/manifests/sha256:c3d1f0a9e8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1: 429 Too Many Requests\ntoomanyrequests: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit',
      cause: "rate-limited",
      project: "containerd/containerd",
      file: "core/remotes/docker/fetcher.go",
      version: "2.0",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "public.ecr.aws/docker/library/alpine:3.21": failed to pull and unpack image "public.ecr.aws/docker/library/alpine:3.21": failed to copy: httpReadSeeker: failed open: unexpected status from GET request to https://public.ecr.aws/v2/docker/library/alpine/manifests/sha256:9b2e8f1c4d6a0b3e7f5c2d8a1e4b6c0f3a9d7e5b2c8f1a4d6e0b3c7f9a2d5e81: 429 Too Many Requests\ntoomanyrequests: Rate exceeded',
      cause: "rate-limited",
      project: "containerd/containerd",
      file: "core/remotes/docker/fetcher.go",
      version: "2.1",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app:1.0": failed to pull and unpack image "registry.example.com/team/app:1.0": failed to resolve reference "registry.example.com/team/app:1.0": unexpected status from HEAD request to https://registry.example.com/v2/team/app/manifests/1.0: 500 Internal Server Error',
      cause: "registry-unavailable",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "quay.io/acme/api:3.1": rpc error: code = Unknown desc = failed to pull and unpack image "quay.io/acme/api:3.1": failed to copy: httpReadSeeker: failed open: unexpected status code https://cdn01.quay.io/quayregistry/sha256/4f/4f7a2c9e1b5d8f3a6c0e9b2d5f8a1c4e7b0d3f6a9c2e5b8d1f4a7c0e3b6d9f12: 502 Bad Gateway',
      cause: "registry-unavailable",
      project: "containerd/containerd",
      file: "remotes/docker/fetcher.go",
      version: "1.7",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app:1.0": failed to pull and unpack image "registry.example.com/team/app:1.0": failed to copy: httpReadSeeker: failed open: unexpected status from GET request to https://registry.example.com/v2/team/app/blobs/sha256:c3d1f0a9e8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1: 522 <none>',
      cause: "registry-unavailable",
      project: "containerd/containerd",
      file: "core/remotes/errors/errors.go",
      version: "2.0",
      kind: "source",
      rule: "containerd-status-5xx",
      note: "a CDN status without a standard reason phrase",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app:1.0": failed to pull and unpack image "registry.example.com/team/app:1.0": failed to copy: httpReadSeeker: failed open: unexpected status from GET request to https://registry.example.com/v2/team/app/blobs/sha256:c3d1f0a9e8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1: 503 Service Unavailable\nunavailable: service unavailable',
      cause: "registry-unavailable",
      project: "containerd/containerd",
      file: "core/remotes/docker/fetcher.go",
      version: "2.1",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "postgres:17": failed to pull and unpack image "docker.io/library/postgres:17": failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://production.cloudflare.docker.com/registry-v2/docker/registry/v2/blobs/sha256/9b/9b2e8f1c4d6a0b3e7f5c2d8a1e4b6c0f3a9d7e5b2c8f1a4d6e0b3c7f9a2d5e81/data?expires=1749720000&signature=x": EOF',
      cause: "registry-unavailable",
      project: "containerd/containerd",
      file: "core/remotes/docker/fetcher.go",
      version: "2.1",
      kind: "source",
      rule: "go-eof",
    },
    {
      message:
        'Failed to pull image "postgres:17": failed to pull and unpack image "docker.io/library/postgres:17": failed to extract layer sha256:9b2e8f1c4d6a0b3e7f5c2d8a1e4b6c0f3a9d7e5b2c8f1a4d6e0b3c7f9a2d5e81: unexpected EOF',
      cause: "registry-unavailable",
      project: "containerd/containerd",
      file: "core/unpack/unpacker.go",
      version: "2.0",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "postgres:17": failed to pull and unpack image "docker.io/library/postgres:17": failed to copy: read tcp 10.244.3.17:45920->104.16.99.55:443: read: connection reset by peer',
      cause: "connection-refused",
      project: "containerd/containerd",
      file: "core/content/helpers.go",
      version: "2.1",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app:1.0": failed to pull and unpack image "registry.example.com/team/app:1.0": failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://registry.example.com/v2/team/app/blobs/sha256:0e5d2b8a4c1f7e3d9b6a2c8f4e1d7b3a9c5f2e8d4b1a7c3f9e6d2b8a5c1f7e4d": http2: server sent GOAWAY and closed the connection; LastStreamID=1999, ErrCode=NO_ERROR, debug=""',
      cause: "registry-unavailable",
      project: "containerd/containerd",
      file: "core/remotes/docker/fetcher.go",
      version: "2.1",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app:1.0": failed to pull and unpack image "registry.example.com/team/app:1.0": failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://registry.example.com/v2/team/app/blobs/sha256:0e5d2b8a4c1f7e3d9b6a2c8f4e1d7b3a9c5f2e8d4b1a7c3f9e6d2b8a5c1f7e4d": stream error: stream ID 7; INTERNAL_ERROR; received from peer',
      cause: "registry-unavailable",
      project: "containerd/containerd",
      file: "core/remotes/docker/fetcher.go",
      version: "2.0",
      kind: "source",
      rule: "go-http2-stream-error",
    },
    {
      message:
        'Failed to pull image "registry.k8s.io/pause:3.10": failed to pull and unpack image "registry.k8s.io/pause:3.10": failed to resolve reference "registry.k8s.io/pause:3.10": failed to do request: Head "https://registry.k8s.io/v2/pause/manifests/3.10": dial tcp 34.96.108.209:443: i/o timeout',
      cause: "network-timeout",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
      rule: "go-dial-timeout",
    },
    {
      message:
        'Failed to pull image "registry.k8s.io/pause:3.10": rpc error: code = Unknown desc = failed to pull and unpack image "registry.k8s.io/pause:3.10": failed to resolve reference "registry.k8s.io/pause:3.10": failed to do request: Head "https://registry.k8s.io/v2/pause/manifests/3.10": dial tcp [2600:1901:0:1d7::]:443: connect: cannot assign requested address',
      cause: "network-timeout",
      project: "containerd/containerd",
      file: "remotes/docker/resolver.go",
      version: "1.6",
      kind: "source",
      rule: "go-dial-blocked",
    },
    {
      message:
        'Failed to pull image "registry.k8s.io/pause:3.10": failed to pull and unpack image "registry.k8s.io/pause:3.10": failed to resolve reference "registry.k8s.io/pause:3.10": failed to do request: Head "https://registry.k8s.io/v2/pause/manifests/3.10": dial tcp [2600:1901:0:1d7::]:443: connect: network is unreachable',
      cause: "network-timeout",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.0",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "nginx:1.27": failed to pull and unpack image "docker.io/library/nginx:1.27": failed to resolve reference "docker.io/library/nginx:1.27": failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/1.27": net/http: TLS handshake timeout',
      cause: "network-timeout",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
    },
    {
      message:
        'Jun 12 09:14:03 worker-2 kubelet[1843]: E0612 09:14:03.512733    1843 log.go:32] "PullImage from image service failed" err="rpc error: code = Unknown desc = failed to pull and unpack image \\"docker.io/library/nginx:1.27\\": failed to resolve reference \\"docker.io/library/nginx:1.27\\": failed to do request: Head \\"https://registry-1.docker.io/v2/library/nginx/manifests/1.27\\": proxyconnect tcp: dial tcp 10.20.0.8:3128: connect: connection refused" image="nginx:1.27"',
      cause: "network-timeout",
      project: "containerd/containerd",
      file: "remotes/docker/resolver.go",
      version: "1.7",
      kind: "source",
      rule: "go-proxyconnect",
    },
    {
      message:
        'Failed to pull image "nginx:1.27": failed to pull and unpack image "docker.io/library/nginx:1.27": failed to resolve reference "docker.io/library/nginx:1.27": failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/1.27": proxyconnect tcp: tls: first record does not look like a TLS handshake',
      cause: "network-timeout",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
      note: "HTTPS_PROXY=https://… pointing at a plain-HTTP proxy",
    },
    {
      message:
        'Failed to pull image "nginx:1.27": failed to pull and unpack image "docker.io/library/nginx:1.27": failed to resolve reference "docker.io/library/nginx:1.27": failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/1.27": Proxy Authentication Required',
      cause: "network-timeout",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.0",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.internal:5000/batch/etl:2.3": failed to pull and unpack image "registry.internal:5000/batch/etl:2.3": failed to resolve reference "registry.internal:5000/batch/etl:2.3": failed to do request: Head "https://registry.internal:5000/v2/batch/etl/manifests/2.3": dial tcp 10.40.2.15:5000: connect: connection refused',
      cause: "connection-refused",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.internal:5000/batch/etl:2.3": failed to pull and unpack image "registry.internal:5000/batch/etl:2.3": failed to resolve reference "registry.internal:5000/batch/etl:2.3": failed to do request: Head "https://registry.internal:5000/v2/batch/etl/manifests/2.3": dial tcp 10.40.2.15:5000: connect: no route to host',
      cause: "network-timeout",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.internal:5000/batch/etl:2.3": failed to pull and unpack image "registry.internal:5000/batch/etl:2.3": failed to resolve reference "registry.internal:5000/batch/etl:2.3": failed to do request: Head "https://registry.internal:5000/v2/batch/etl/manifests/2.3": dial tcp: lookup registry.internal on 169.254.25.10:53: no such host',
      cause: "dns",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.internal:5000/batch/etl:2.3": failed to pull and unpack image "registry.internal:5000/batch/etl:2.3": failed to resolve reference "registry.internal:5000/batch/etl:2.3": failed to do request: Head "https://registry.internal:5000/v2/batch/etl/manifests/2.3": dial tcp: lookup registry.internal on 127.0.0.53:53: read udp 127.0.0.1:41877->127.0.0.53:53: read: connection refused',
      cause: "dns",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.0",
      kind: "source",
      rule: "go-dns-lookup-failed",
      note: "the node's resolver refused; the registry was never dialled",
    },
    {
      message:
        'Failed to pull image "registry.internal:5000/batch/etl:2.3": failed to pull and unpack image "registry.internal:5000/batch/etl:2.3": failed to resolve reference "registry.internal:5000/batch/etl:2.3": failed to do request: Head "https://registry.internal:5000/v2/batch/etl/manifests/2.3": context deadline exceeded',
      cause: "network-timeout",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
      rule: "go-http-request-deadline",
    },
    {
      message:
        'Failed to pull image "nginx:1.27": failed to pull and unpack image "docker.io/library/nginx:1.27": failed to resolve reference "docker.io/library/nginx:1.27": failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/1.27": EOF',
      cause: "registry-unavailable",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
      note: "a middlebox closed the connection during the handshake",
    },
    {
      message:
        'Failed to pull image "nginx:1.27": failed to pull and unpack image "docker.io/library/nginx:1.27": failed to resolve reference "docker.io/library/nginx:1.27": failed to do request: Head "https://mirror.gcr.io/v2/library/nginx/manifests/1.27?ns=docker.io": dial tcp 142.250.74.78:443: i/o timeout',
      cause: "network-timeout",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
      note: "a hosts.toml mirror; containerd adds ?ns= to mirror requests",
    },
    {
      message:
        'Failed to pull image "harbor.corp.example/library/app:2.1": failed to pull and unpack image "harbor.corp.example/library/app:2.1": failed to resolve reference "harbor.corp.example/library/app:2.1": failed to do request: Head "https://harbor.corp.example/v2/library/app/manifests/2.1": tls: failed to verify certificate: x509: certificate signed by unknown authority',
      cause: "tls",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "harbor.corp.example/library/app:2.1": rpc error: code = Unknown desc = failed to pull and unpack image "harbor.corp.example/library/app:2.1": failed to resolve reference "harbor.corp.example/library/app:2.1": failed to do request: Head "https://harbor.corp.example/v2/library/app/manifests/2.1": x509: certificate signed by unknown authority (possibly because of "crypto/rsa: verification error" while trying to verify candidate authority certificate "Corp Issuing CA 2")',
      cause: "tls",
      project: "containerd/containerd",
      file: "remotes/docker/resolver.go",
      version: "1.6",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.lab.example:5000/ci/runner:1": failed to pull and unpack image "registry.lab.example:5000/ci/runner:1": failed to resolve reference "registry.lab.example:5000/ci/runner:1": failed to do request: Head "https://registry.lab.example:5000/v2/ci/runner/manifests/1": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2025-06-12T09:14:03Z is after 2025-05-31T23:59:59Z',
      cause: "tls",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "10.10.0.5:5000/ci/runner:1": failed to pull and unpack image "10.10.0.5:5000/ci/runner:1": failed to resolve reference "10.10.0.5:5000/ci/runner:1": failed to do request: Head "https://10.10.0.5:5000/v2/ci/runner/manifests/1": tls: failed to verify certificate: x509: cannot validate certificate for 10.10.0.5 because it doesn\'t contain any IP SANs',
      cause: "tls",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.0",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.lab.example:5000/ci/runner:1": failed to pull and unpack image "registry.lab.example:5000/ci/runner:1": failed to resolve reference "registry.lab.example:5000/ci/runner:1": failed to do request: Head "https://registry.lab.example:5000/v2/ci/runner/manifests/1": http: server gave HTTP response to HTTPS client',
      cause: "tls",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.lab.example:5000/ci/runner:1": failed to pull and unpack image "registry.lab.example:5000/ci/runner:1": failed to resolve reference "registry.lab.example:5000/ci/runner:1": failed to do request: Head "http://registry.lab.example:5000/v2/ci/runner/manifests/1": net/http: HTTP/1.x transport connection broken: malformed HTTP response "\\x15\\x03\\x01\\x00\\x02\\x02"',
      cause: "tls",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
      rule: "go-http-malformed-tls-answer",
      note: "hosts.toml says http:// for a registry that only speaks TLS",
    },
    {
      message:
        'Failed to pull image "registry.lab.example/ci/runner:1": failed to pull and unpack image "registry.lab.example/ci/runner:1": failed to resolve reference "registry.lab.example/ci/runner:1": failed to do request: Head "https://registry.lab.example/v2/ci/runner/manifests/1": remote error: tls: certificate required',
      cause: "tls",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
      note: "mTLS registry; hosts.toml has no client certificate",
    },
    {
      message:
        'Failed to pull image "registry.lab.example/ci/runner:1": rpc error: code = Unknown desc = failed to pull and unpack image "registry.lab.example/ci/runner:1": failed to resolve reference "registry.lab.example/ci/runner:1": failed to do request: Head "https://registry.lab.example/v2/ci/runner/manifests/1": x509: cannot verify signature: insecure algorithm SHA1-RSA (temporarily override with GODEBUG=x509sha1=1)',
      cause: "tls",
      project: "containerd/containerd",
      file: "remotes/docker/resolver.go",
      version: "1.7",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "nvcr.io/nvidia/pytorch:25.04-py3": failed to pull and unpack image "nvcr.io/nvidia/pytorch:25.04-py3": failed to extract layer (application/vnd.docker.image.rootfs.diff.tar.gzip sha256:9b2e8f1c4d6a0b3e7f5c2d8a1e4b6c0f3a9d7e5b2c8f1a4d6e0b3c7f9a2d5e81) to overlayfs as "extract-512345678-AbCd sha256:4f7a2c9e1b5d8f3a6c0e9b2d5f8a1c4e7b0d3f6a9c2e5b8d1f4a7c0e3b6d9f12": write /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/311/fs/usr/local/lib/python3.12/dist-packages/torch/lib/libtorch_cuda.so: no space left on device',
      cause: "disk-full",
      project: "containerd/containerd",
      file: "core/unpack/unpacker.go",
      version: "2.1",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "nvcr.io/nvidia/pytorch:25.04-py3": rpc error: code = Unknown desc = failed to pull and unpack image "nvcr.io/nvidia/pytorch:25.04-py3": failed to copy: failed to send write: write /var/lib/containerd/io.containerd.content.v1.content/ingest/2c4f/data: no space left on device: unknown',
      cause: "disk-full",
      project: "containerd/containerd",
      file: "content/local/writer.go",
      version: "1.6",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "ubuntu:24.04": failed to pull and unpack image "docker.io/library/ubuntu:24.04": failed to prepare extraction snapshot "extract-334455667-XyZw sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef": failed to create temp dir: mkdir /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/new-1234: no space left on device',
      cause: "disk-full",
      project: "containerd/containerd",
      file: "core/unpack/unpacker.go",
      version: "2.0",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "ghcr.io/kubewarden/policy-server:v1.22.0": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/kubewarden/policy-server:v1.22.0": no match for platform in manifest: not found',
      cause: "platform-mismatch",
      project: "containerd/containerd",
      file: "core/images/handlers.go",
      version: "2.1",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "acme/legacy-x86:2019": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/acme/legacy-x86:2019": no match for platform in manifest sha256:c3d1f0a9e8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1: not found',
      cause: "platform-mismatch",
      project: "containerd/containerd",
      file: "images/image.go",
      version: "1.6",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "Nginx:1.27": failed to parse image reference "Nginx:1.27": invalid reference format: repository name (library/Nginx) must be lowercase',
      cause: "invalid-reference",
      project: "containerd/containerd",
      file: "internal/cri/server/images/image_pull.go",
      version: "2.1",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app@sha256:abc": rpc error: code = InvalidArgument desc = failed to parse image reference "registry.example.com/team/app@sha256:abc": invalid checksum digest length',
      cause: "invalid-reference",
      project: "containerd/containerd",
      file: "pkg/cri/server/image_pull.go",
      version: "1.6",
      kind: "source",
    },
    {
      message: 'time="2025-06-12T09:19:03.512233124Z" level=error msg="cancel pulling image docker.io/vllm/vllm-openai:v0.9.1 because of no progress in 5m0s"',
      cause: "pull-timeout",
      project: "containerd/containerd",
      file: "internal/cri/server/images/image_pull.go",
      version: "2.1",
      kind: "source",
      rule: "pull-no-progress",
    },
    {
      message:
        'Failed to pull image "vllm/vllm-openai:v0.9.1": rpc error: code = Canceled desc = failed to pull and unpack image "docker.io/vllm/vllm-openai:v0.9.1": failed to copy: context canceled',
      cause: "pull-timeout",
      project: "containerd/containerd",
      file: "core/content/helpers.go",
      version: "2.1",
      kind: "source",
      note: "what kubelet sees after image_pull_progress_timeout cancelled the pull",
    },
    {
      message:
        'Jun 12 09:14:03 worker-2 kubelet[1843]: E0612 09:14:03.512733    1843 log.go:32] "PullImage from image service failed" err="rpc error: code = Canceled desc = failed to pull and unpack image \\"cssacr.azurecr.io/chrono/cron:efdc4a31\\": failed to commit snapshot extract-332345855-2JgL sha256:0e5d2b8a4c1f7e3d9b6a2c8f4e1d7b3a9c5f2e8d4b1a7c3f9e6d2b8a5c1f7e4d: context canceled" image="cssacr.azurecr.io/chrono/cron:efdc4a31"',
      cause: "pull-timeout",
      project: "containerd/containerd",
      file: "core/unpack/unpacker.go",
      version: "1.7",
      kind: "source",
      rule: "containerd-pull-canceled",
    },
    {
      message:
        'Failed to pull image "pytorch/pytorch:2.7.0-cuda12.6-cudnn9-runtime": rpc error: code = DeadlineExceeded desc = failed to pull and unpack image "docker.io/pytorch/pytorch:2.7.0-cuda12.6-cudnn9-runtime": failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://registry-1.docker.io/v2/pytorch/pytorch/blobs/sha256:4f7a2c9e1b5d8f3a6c0e9b2d5f8a1c4e7b0d3f6a9c2e5b8d1f4a7c0e3b6d9f12": context deadline exceeded',
      cause: "pull-timeout",
      project: "containerd/containerd",
      file: "core/remotes/docker/fetcher.go",
      version: "2.0",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "registry.example.com/team/app:1.0": rpc error: code = NotFound desc = failed to get image "registry.example.com/team/app:1.0" from containerd image store: image "registry.example.com/team/app:1.0": not found',
      cause: "unknown",
      project: "containerd/containerd",
      file: "internal/cri/server/images/image_pull.go",
      version: "2.1",
      kind: "source",
      note: "the image vanished between pull and lookup (a concurrent prune); nothing was asked of a registry",
    },
    {
      message:
        'Failed to pull image "centos:6": rpc error: code = Unimplemented desc = failed to pull and unpack image "docker.io/library/centos:6": failed to resolve reference "docker.io/library/centos:6": not implemented: media type "application/vnd.docker.distribution.manifest.v1+prettyjws" is no longer supported since containerd v2.0, please rebuild the image as "application/vnd.docker.distribution.manifest.v2+json" or "application/vnd.oci.image.manifest.v1+json"',
      cause: "unknown",
      project: "containerd/containerd",
      file: "core/remotes/docker/resolver.go",
      version: "2.1",
      kind: "source",
      note: "schema 1: no label fits; hint containerd-schema1-dropped",
    },
    {
      message:
        'Failed to pull image "prom/pushgateway:v0.9.1": failed to pull and unpack image "docker.io/prom/pushgateway:v0.9.1": failed to unpack image on snapshotter overlayfs: unexpected media type text/html for sha256:7351147077496a942c478cb3f4c850c1feb5c96a614472582c3feae07de959db: not found',
      cause: "unknown",
      project: "containerd/containerd",
      file: "client/pull.go",
      version: "2.0",
      kind: "source",
    },
    {
      message:
        'Jun 12 09:14:03 worker-2 kubelet[1843]: E0612 09:14:03.512733    1843 log.go:32] "PullImage from image service failed" err="rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: no such file or directory\\"" image="nginx:1.27"',
      cause: "unknown",
      project: "kubernetes/cri-client",
      file: "pkg/remote_image.go",
      version: "1.31",
      kind: "source",
      note: "kubelet cannot reach containerd: hint runtime-unreachable",
    },
    {
      message:
        'time="2025-06-12T09:14:03.512233124Z" level=error msg="PullImage \\"docker.io/rancher/mirrored-pause:3.6\\" failed" error="failed to pull and unpack image \\"docker.io/rancher/mirrored-pause:3.6\\": failed to resolve reference \\"docker.io/rancher/mirrored-pause:3.6\\": failed to do request: Head \\"https://registry-1.docker.io/v2/rancher/mirrored-pause/manifests/3.6\\": dial tcp: lookup registry-1.docker.io on 10.43.0.10:53: server misbehaving"',
      cause: "dns",
      project: "k3s-io/k3s",
      file: "embedded containerd (pkg/agent/containerd)",
      version: "v1.31",
      kind: "source",
      note: "k3s logs containerd to /var/lib/rancher/k3s/agent/containerd/containerd.log",
    },
    {
      message:
        'Failed to pull image "registry.rancher.example/rancher/hardened-kubernetes:v1.31.4-rke2r1-build20250115": failed to pull and unpack image "registry.rancher.example/rancher/hardened-kubernetes:v1.31.4-rke2r1-build20250115": failed to resolve reference "registry.rancher.example/rancher/hardened-kubernetes:v1.31.4-rke2r1-build20250115": failed to do request: Head "https://registry.rancher.example/v2/rancher/hardened-kubernetes/manifests/v1.31.4-rke2r1-build20250115": tls: failed to verify certificate: x509: certificate signed by unknown authority',
      cause: "tls",
      project: "rancher/rke2",
      file: "embedded containerd, registries.yaml",
      version: "v1.31",
      kind: "source",
      note: "the CA belongs in /etc/rancher/rke2/registries.yaml, not certs.d",
    },
    {
      message:
        'Failed to pull image "busybox:1.37": failed to pull and unpack image "docker.io/library/busybox:1.37": failed to resolve reference "docker.io/library/busybox:1.37": failed to do request: Head "https://10.0.4.12:6443/v2/library/busybox/manifests/1.37?ns=docker.io": context deadline exceeded',
      cause: "network-timeout",
      project: "k3s-io/k3s",
      file: "embedded registry mirror (spegel)",
      version: "v1.30",
      kind: "source",
      note: "the embedded peer-to-peer mirror on the supervisor port",
    },
    {
      message:
        'Jun 12 09:14:03 edge-1 k3s[912]: E0612 09:14:03.512733     912 log.go:32] "PullImage from image service failed" err="rpc error: code = Unknown desc = failed to pull and unpack image \\"docker.io/rancher/klipper-helm:v0.9.3-build20241008\\": failed to resolve reference \\"docker.io/rancher/klipper-helm:v0.9.3-build20241008\\": failed to do request: Head \\"https://registry-1.docker.io/v2/rancher/klipper-helm/manifests/v0.9.3-build20241008\\": dial tcp 54.198.86.24:443: i/o timeout" image="docker.io/rancher/klipper-helm:v0.9.3-build20241008"',
      cause: "network-timeout",
      project: "k3s-io/k3s",
      file: "kubelet inside the k3s binary",
      version: "v1.31",
      kind: "source",
      note: "an air-gapped edge node without the images tarball",
    },
    {
      message:
        'Jun 12 09:14:03 edge-1 k3s[912]: E0612 09:14:03.512733     912 log.go:32] "PullImage from image service failed" err="rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing: dial unix /run/k3s/containerd/containerd.sock: connect: connection refused\\"" image="docker.io/rancher/mirrored-coredns-coredns:1.12.0"',
      cause: "unknown",
      project: "k3s-io/k3s",
      file: "kubelet inside the k3s binary",
      version: "v1.31",
      kind: "source",
      note: "k3s's own containerd socket",
    },
    {
      message:
        'Failed to pull image "postgres:17": failed to pull and unpack image "docker.io/library/postgres:17": failed to copy: failed to send write: write /var/lib/containerd/io.containerd.content.v1.content/ingest/8d1c/data: disk quota exceeded',
      cause: "disk-full",
      project: "containerd/containerd",
      file: "plugins/content/local/writer.go",
      version: "2.1",
      kind: "source",
      rule: "go-disk-quota-exceeded",
      note: "an XFS project quota on /var/lib/containerd",
    },
    {
      message:
        'E0612 09:14:03.512733   30211 remote_image.go:180] "PullImage from image service failed" err="rpc error: code = Unknown desc = failed to parse image reference \\"nginx:1.27 \\": invalid reference format" image="nginx:1.27 "',
      cause: "invalid-reference",
      project: "containerd/containerd",
      file: "pkg/cri/server/image_pull.go",
      version: "1.7",
      kind: "source",
      rule: "reference-invalid-format",
      note: "crictl pull with a trailing space",
    },
    {
      message:
        'failed to parse image reference "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example/app:1": repository name must not be more than 255 characters',
      cause: "invalid-reference",
      project: "containerd/containerd",
      file: "internal/cri/server/images/image_pull.go",
      version: "2.0",
      kind: "source",
      rule: "reference-name-rules",
    },
    {
      message: 'ctr: failed to resolve reference "docker.io/library/go:nanoserver": server message: insufficient_scope: authorization failed',
      cause: "auth-required",
      project: "containerd/containerd",
      file: "remotes/docker/authorizer.go",
      version: "1.4",
      kind: "source",
      confident: false,
      rule: "containerd-insufficient-scope",
    },
    {
      message:
        'Failed to pull image "docker.io/library/postgres:17": failed to pull and unpack image "docker.io/library/postgres:17": failed to copy: read tcp 10.244.3.17:45920->104.16.99.55:443: read: i/o timeout',
      cause: "network-timeout",
      project: "containerd/containerd",
      file: "core/content/helpers.go",
      version: "2.1",
      kind: "source",
      rule: "go-io-timeout",
    },
    {
      message:
        'Failed to pull image "app:1": rpc error: code = NotFound desc = failed to resolve reference "docker.io/library/app:1": docker.io/library/app:1 not found',
      cause: "not-found",
      project: "containerd/containerd",
      file: "remotes/docker/resolver.go",
      version: "1.2",
      kind: "source",
      rule: "containerd-resolve-not-found",
    },
    {
      message:
        'Failed to pull image "reg.mydomain.com/test/test:latest": rpc error: code = Unknown desc = failed to pull and unpack image "reg.mydomain.com/test/test:latest": failed to resolve reference "reg.mydomain.com/test/test:latest": unexpected status code [manifests latest]: 401 Unauthorized',
      cause: "auth-required",
      project: "containerd/containerd",
      file: "remotes/docker/resolver.go",
      version: "1.3",
      kind: "source",
      confident: false,
    },
    {
      message:
        'Failed to pull image "registry.app.example.net/team/parts:ci-2e7e78f7": rpc error: code = Unknown desc = failed to pull and unpack image "registry.app.example.net/team/parts:ci-2e7e78f7": failed to resolve reference "registry.app.example.net/team/parts:ci-2e7e78f7": pulling from host registry.app.example.net failed with status code [manifests ci-2e7e78f7]: 401 Unauthorized',
      cause: "auth-required",
      project: "containerd/containerd",
      file: "remotes/docker/resolver.go",
      version: "1.5",
      kind: "source",
      confident: false,
    },
    {
      message:
        'Failed to pull image "registry.app.example.net/team/parts:ci-2e7e78f7": rpc error: code = Unknown desc = failed to pull and unpack image "registry.app.example.net/team/parts:ci-2e7e78f7": failed to resolve reference "registry.app.example.net/team/parts:ci-2e7e78f7": pulling from host registry.app.example.net failed with unexpected status code [manifests ci-2e7e78f7]: 502 Bad Gateway',
      cause: "registry-unavailable",
      project: "containerd/containerd",
      file: "remotes/docker/resolver.go",
      version: "1.4",
      kind: "source",
    },
    {
      message:
        'Failed to pull image "harbor.corp.example/payments/ledger:5.4.0": rpc error: code = Unknown desc = failed to resolve image "harbor.corp.example/payments/ledger:5.4.0": no available registry endpoint: failed to fetch oauth token: unexpected status: 403 Forbidden',
      cause: "auth-denied",
      project: "containerd/containerd",
      file: "pkg/server/image_pull.go (cri 1.2)",
      version: "1.2",
      kind: "source",
      rule: "containerd-oauth-token-rejected",
    },
    {
      message:
        'Failed to pull image "ghcr.io/acme/internal-tools:0.9.3": rpc error: code = Unknown desc = failed to pull and unpack image "ghcr.io/acme/internal-tools:0.9.3": failed to resolve reference "ghcr.io/acme/internal-tools:0.9.3": failed to authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized',
      cause: "auth-required",
      project: "containerd/containerd",
      file: "remotes/docker/authorizer.go",
      version: "1.4",
      kind: "source",
      confident: false,
    },
  ],
} satisfies StoredFile;
