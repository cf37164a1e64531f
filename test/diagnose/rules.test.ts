import assert from "node:assert/strict";
import { test } from "node:test";

import { CAUSES, type Cause } from "../../agent/diagnose/causes.js";
import { classifyMessage } from "../../agent/diagnose/classify.js";
import { loadCorpus } from "../../agent/diagnose/corpus/index.js";
import { explainMessage } from "../../agent/diagnose/explain.js";
import { MESSAGE_HINTS } from "../../agent/diagnose/hints.js";
import { MESSAGE_RULES } from "../../agent/diagnose/rules.js";
import { CREDENTIAL_WORDINGS } from "../../agent/diagnose/signals.js";
import { prng } from "../support/fuzz.js";

// Real messages as kubelet, containerd (1.6/1.7/2.x), CRI-O, Docker and Go print them, taken from
// public issues and the runtimes' source. Only names (images, hosts, digests) were shortened or
// swapped for neutral ones; the wording is the runtimes'. [message, expected cause, expected rule]
type Case = readonly [message: string, cause: Cause, rule: string | undefined];

const D = "sha256:50aa4698fa6262977cff89181b2664b99d8a56dbca847bf62f2ef04854597cf8";

const CASES: readonly Case[] = [
  // --- disk-full
  [
    `Failed to pull image "ghcr.io/usestrix/strix-sandbox:0.1.13": rpc error: code = Unknown desc = failed to pull and unpack image "ghcr.io/usestrix/strix-sandbox:0.1.13": failed to extract layer sha256:0465d356eb1de54a583b42b392bd68ff4c6d0494ecaeb5a8b89c1001334829bf: write /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/105/fs/home/pentester/.cache/go-build/27/27085a9d-d: no space left on device: unknown`,
    "disk-full",
    "go-no-space-left",
  ],
  [
    `Failed create pod sandbox: rpc error: code = Unknown desc = failed to create a sandbox for pod "nginx-6dc48bf8b6-l8xrw": Error response from daemon: mkdir /var/lib/docker/overlay2/abc: no space left on device`,
    "disk-full",
    "go-no-space-left",
  ],
  [
    `failed to register layer: Error processing tar file(exit status 1): write /usr/lib/x86_64-linux-gnu/libgio-2.0.so.0.4200.1: no space left on device`,
    "disk-full",
    "go-no-space-left",
  ],
  [
    `failed to pull and unpack image "docker.io/library/postgres:16": failed to copy: failed to send write: write /var/lib/containerd/io.containerd.content.v1.content/ingest/4f2c/data: disk quota exceeded`,
    "disk-full",
    "go-disk-quota-exceeded",
  ],

  // --- never-pull
  [`Container image "log-pipeline-generator:latest" is not present with pull policy of Never`, "never-pull", "kubelet-never-pull"],
  [`Error: ErrImageNeverPull`, "never-pull", "kubelet-err-image-never-pull"],

  // --- invalid-reference
  [
    `Failed to apply default image tag "registry.hub.docker.com/library//nginx:latest": couldn't parse image reference "registry.hub.docker.com/library//nginx:latest": invalid reference format`,
    "invalid-reference",
    "kubelet-default-tag",
  ],
  [
    `Failed to apply default image tag "DUMMY_IMAGE:TEST": couldn't parse image reference "DUMMY_IMAGE:TEST": invalid reference format: repository name must be lowercase`,
    "invalid-reference",
    "reference-lowercase",
  ],
  [
    `Failed to apply default image tag "server-<your student ID>": couldn't parse image name "server-<your student ID>": invalid reference format: repository name (library/server-<your student ID>) must be lowercase`,
    "invalid-reference",
    "reference-lowercase",
  ],
  [`docker: invalid reference format.`, "invalid-reference", "reference-invalid-format"],
  [
    `pulling image: rpc error: code = Unknown desc = failed to parse image reference "nginx@sha256:abc": invalid checksum digest length`,
    "invalid-reference",
    "containerd-parse-reference",
  ],
  [`Error: InvalidImageName`, "invalid-reference", "kubelet-invalid-image-name"],
  [
    `short-name "nginx:latest" did not resolve to an alias and no unqualified-search registries are defined in "/etc/containers/registries.conf"`,
    "invalid-reference",
    "crio-short-name",
  ],

  // --- secret-invalid
  [`Unable to retrieve some image pull secrets (ghcr-secret); attempting to pull the image may not succeed.`, "secret-invalid", "kubelet-pull-secrets-missing"],
  [
    `Unable to retrieve pull secret kube-system/bluemix-default-secret-international for kube-system/ibm-vpc-block-csi-controller-0 due to secret “bluemix-default-secret-international” not found. The image pull may not succeed.`,
    "secret-invalid",
    "kubelet-pull-secret-missing-old",
  ],
  [
    `Container image "sha256:843b4317ed070d82309dc8db8d5fadeb1b84faa4f04bffb06cac7f2373321bfd" is present with pull policy of "IfNotPresent" but does not have the proper auth (image secret) that was used to pull the image`,
    "secret-invalid",
    "kubelet-image-not-ensured",
  ],
  [
    `failed to pull and unpack image "registry.example.com/team/app:1.0": failed to resolve reference "registry.example.com/team/app:1.0": invalid decoded auth: "robot"`,
    "secret-invalid",
    "containerd-invalid-decoded-auth",
  ],
  [
    `failed to pull and unpack image "registry.example.com/team/app:1.0": failed to resolve reference "registry.example.com/team/app:1.0": illegal base64 data at input byte 12`,
    "secret-invalid",
    "go-illegal-base64",
  ],

  // --- platform-mismatch
  [
    `Failed to pull image "ghcr.io/kubewarden/kubewarden-controller:latest": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/kubewarden/kubewarden-controller:latest": no match for platform in manifest: not found`,
    "platform-mismatch",
    "containerd-no-match-platform",
  ],
  [
    `no match for current platform linux/arm/v7 in manifest sha256:32efb15cbb8a46f4b564857e534fd4c26a4a15813885f91b1a95b5758fea3fd5: not found`,
    "platform-mismatch",
    "containerd-no-match-platform",
  ],
  [`Error response from daemon: no matching manifest for linux/amd64 in the manifest list entries`, "platform-mismatch", "docker-no-matching-manifest"],
  [
    `Error response from daemon: no matching manifest for linux/arm64/v8 in the manifest list entries: no match for platform in manifest: not found`,
    "platform-mismatch",
    "containerd-no-match-platform",
  ],
  [`latest: Pulling from library/busybox no supported platform found in manifest list`, "platform-mismatch", "docker-no-supported-platform"],
  [
    `image with reference arm64v8/alpine was found but does not match the specified platform: wanted linux/amd64, actual: linux/arm64/v8`,
    "platform-mismatch",
    "docker-platform-does-not-match",
  ],
  [`image operating system "windows" cannot be used on this platform`, "platform-mismatch", "docker-os-mismatch"],
  [
    `choosing an image from manifest list docker://quay.io/org/app:1.0: no image found in manifest list for architecture arm64, variant "v8", OS linux`,
    "platform-mismatch",
    "crio-no-image-for-architecture",
  ],
  [`no image found in image index for architecture "amd64", variant "", OS "linux"`, "platform-mismatch", "crio-no-image-for-architecture"],

  // --- proxies (network-timeout)
  [
    `pulling image failed: rpc error: code = Unknown desc = error pinging docker registry registry-1.docker.io: Get "https://registry-1.docker.io/v2/": proxyconnect tcp: dial tcp: lookup http: Temporary failure in name resolution`,
    "network-timeout",
    "go-proxyconnect",
  ],
  [
    `failed to resolve reference "registry.k8s.io/pause:3.9": failed to do request: Head "https://registry.k8s.io/v2/pause/manifests/3.9": proxyconnect tcp: dial tcp 10.0.0.1:3128: connect: connection refused`,
    "network-timeout",
    "go-proxyconnect",
  ],
  [
    `failed to resolve reference "registry.k8s.io/pause:3.9": failed to do request: Head "https://registry.k8s.io/v2/pause/manifests/3.9": Proxy Authentication Required`,
    "network-timeout",
    "http-407-proxy-auth",
  ],

  // --- dns
  [
    `Failed to pull image "nginx:v1.1": rpc error: code = Unknown desc = Error response from daemon: Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io: no such host`,
    "dns",
    "go-dns-no-such-host",
  ],
  [
    `failed to pull and unpack image "registry.example.com/team/app:1.0": failed to resolve reference "registry.example.com/team/app:1.0": failed to do request: Head "https://registry.example.com/v2/team/app/manifests/1.0": dial tcp: lookup registry.example.com on 10.96.0.10:53: no such host`,
    "dns",
    "go-dns-no-such-host",
  ],
  [`pinging container registry registry.redhat.io: lookup registry.redhat.io: no such host`, "dns", "go-dns-no-such-host"],
  [
    `failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/latest": dial tcp: lookup registry-1.docker.io on 127.0.0.53:53: server misbehaving`,
    "dns",
    "go-dns-server-misbehaving",
  ],
  [
    `failed to do request: Head "https://quay.io/v2/org/app/manifests/1.0": dial tcp: lookup quay.io on 10.0.0.2:53: read udp 10.0.0.15:44532->10.0.0.2:53: i/o timeout`,
    "dns",
    "go-dns-lookup-timeout",
  ],
  [
    `Error: initializing source docker://quay.io/ceph/ceph:v20.2.0: pinging container registry quay.io: Get "https://quay.io/v2/": dial tcp: lookup quay.io: Temporary failure in name resolution`,
    "dns",
    "glibc-dns-temporary-failure",
  ],
  [`getaddrinfo ENOTFOUND registry.example.com`, "dns", "node-dns"],

  // --- tls
  [
    `failed to pull and unpack image "harbor.corp.example/library/app:2.1": failed to resolve reference "harbor.corp.example/library/app:2.1": failed to do request: Head "https://harbor.corp.example/v2/library/app/manifests/2.1": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
    "tls",
    "go-x509-unknown-authority",
  ],
  [
    `Failed to pull image "registry.corp.example/app:1": rpc error: code = Unknown desc = error pulling image configuration: Get https://registry.corp.example/v2/app/blobs/sha256:abc: x509: certificate signed by unknown authority`,
    "tls",
    "go-x509-unknown-authority",
  ],
  [
    `Get "https://registry.example.com:5000/v2/": x509: certificate has expired or is not yet valid: current time 2024-05-01T10:00:00Z is after 2024-04-30T23:59:59Z`,
    "tls",
    "go-x509-expired",
  ],
  [
    `Error: initializing source docker://localhost/web:latest: pinging container registry localhost: Get "https://localhost/v2/": tls: failed to verify certificate: x509: certificate is valid for *.apps-crc.testing, not localhost`,
    "tls",
    "go-x509-wrong-host",
  ],
  [`Get "https://10.0.0.5:5000/v2/": x509: cannot validate certificate for 10.0.0.5 because it doesn't contain any IP SANs`, "tls", "go-x509-no-ip-san"],
  [`Get "https://registry.internal/v2/": x509: certificate relies on legacy Common Name field, use SANs instead`, "tls", "go-x509-legacy-common-name"],
  [
    `Failed to pull image "localhost:7439/docker.io/xxxsoftware/xxx-redis:2023.1.2": rpc error: code = Unknown desc = failed to pull and unpack image "localhost:7439/docker.io/xxxsoftware/xxx-redis:2023.1.2": failed to resolve reference "localhost:7439/docker.io/xxxsoftware/xxx-redis:2023.1.2": failed to do request: Head "https://localhost:7439/v2/docker.io/xxxsoftware/xxx-redis/manifests/2023.1.2": http: server gave HTTP response to HTTPS client`,
    "tls",
    "go-http-response-to-https",
  ],
  [
    `failed to do request: Head "https://registry.local:5000/v2/app/manifests/1.0": tls: first record does not look like a TLS handshake`,
    "tls",
    "go-tls-first-record",
  ],
  [`failed to do request: Head "https://registry.internal/v2/app/manifests/1.0": remote error: tls: bad certificate`, "tls", "go-tls-remote-error"],
  [
    `failed to do request: Head "https://registry.internal/v2/app/manifests/1.0": tls: failed to verify certificate: x509: certificate specifies an incompatible key usage`,
    "tls",
    "go-tls-verify-failed",
  ],
  [`Error: certificate has expired at TLSSocket.onConnectSecure (node:_tls_wrap:1674:34) { code: 'CERT_HAS_EXPIRED' }`, "tls", "node-tls"],

  // --- network-timeout
  [
    `failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/latest": net/http: TLS handshake timeout`,
    "network-timeout",
    "go-tls-handshake-timeout",
  ],
  [
    `pulling image failed: rpc error: code = Unknown desc = pinging docker registry returned: Get http://registry-1.docker.io/v2/: dial tcp 34.199.40.84:80: i/o timeout`,
    "network-timeout",
    "go-dial-timeout",
  ],
  [
    `failed to pull and unpack image "registry.k8s.io/kube-proxy:v1.28.2": failed to resolve reference "registry.k8s.io/kube-proxy:v1.28.2": failed to do request: Head "https://registry.k8s.io/v2/kube-proxy/manifests/v1.28.2": dial tcp 34.96.108.209:443: connect: connection timed out`,
    "network-timeout",
    "go-connect-timed-out",
  ],
  [
    `Failed to pull image "docker.io/bitnami/nginx:1.22.0-debian-11-r3": rpc error: code = Unknown desc = Error response from daemon: Get https://registry-1.docker.io/v2/: net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)`,
    "network-timeout",
    "go-client-timeout",
  ],
  [`failed to copy: read tcp 10.0.0.7:53530->104.16.99.55:443: read: i/o timeout`, "network-timeout", "go-io-timeout"],
  [
    `failed to do request: Head "https://registry.internal:5000/v2/app/manifests/1.0": dial tcp 10.10.0.5:5000: connect: no route to host`,
    "network-timeout",
    "go-net-unreachable",
  ],
  [`connect ETIMEDOUT 203.0.113.10:443`, "network-timeout", "node-timeout"],
  [
    `failed to resolve reference "docker.io/library/nginx:latest": failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/latest": context deadline exceeded`,
    "network-timeout",
    "go-http-request-deadline",
  ],

  // --- connection-refused
  [
    `failed to resolve reference "localhost:5000/app:1.0": failed to do request: Head "https://localhost:5000/v2/app/manifests/1.0": dial tcp [::1]:5000: connect: connection refused`,
    "connection-refused",
    "go-connection-refused",
  ],
  [
    `cannot connect to remote temporary registry: Get "http://103.140.232.12:5050": dial tcp 103.140.232.12:5050: connect: connection refused`,
    "connection-refused",
    "go-connection-refused",
  ],
  [
    `failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://production.cloudflare.docker.com/registry-v2/docker/registry/v2/blobs/sha256/96/969c/data": read tcp 10.0.2.15:41234->104.16.100.207:443: read: connection reset by peer`,
    "connection-refused",
    "go-connection-reset",
  ],
  [`curl: (7) Failed to connect to registry.example.com port 5000 after 2 ms: Connection refused`, "connection-refused", "curl-connection-refused"],
  [`connect ECONNREFUSED 127.0.0.1:5000`, "connection-refused", "node-connection-refused"],

  // --- auth-denied
  [
    `failed to pull and unpack image "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.4": failed to resolve reference "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.4": unexpected status from HEAD request to https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/app/manifests/1.4: 403 Forbidden\ndenied: Your authorization token has expired. Reauthenticate and try again.`,
    "auth-denied",
    "ecr-token-expired",
  ],
  [
    `Error response from daemon: pull access denied for 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app, repository does not exist or may require 'docker login': denied: Your authorization token has expired. Reauthenticate and try again.`,
    "auth-denied",
    "ecr-token-expired",
  ],
  [
    `denied: User: arn:aws:sts::123456789012:assumed-role/node-role/i-0abc is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:123456789012:repository/app because no identity-based policy allows the ecr:BatchGetImage action`,
    "auth-denied",
    "ecr-not-authorized",
  ],
  [
    `failed to resolve reference "europe-docker.pkg.dev/p/r/app:1": unexpected status from HEAD request to https://europe-docker.pkg.dev/v2/p/r/app/manifests/1: 403 Forbidden\ndenied: Permission "artifactregistry.repositories.downloadArtifacts" denied on resource "projects/p/locations/europe/repositories/r" (or it may not exist)`,
    "auth-denied",
    "gcp-permission-denied",
  ],
  [
    `Error response from daemon: Head "https://registry-1.docker.io/v2/library/nginx/manifests/latest": unauthorized: incorrect username or password`,
    "auth-denied",
    "registry-incorrect-credentials",
  ],
  [`unable to retrieve auth token: invalid username/password: unauthorized: authentication required`, "auth-denied", "crio-token-unauthorized"],
  [
    `Error response from daemon: Get "https://registry.gitlab.com/v2/": unauthorized: HTTP Basic: Access denied. The provided password or token is incorrect or your account has 2FA enabled`,
    "auth-denied",
    "registry-incorrect-credentials",
  ],
  [
    `failed to resolve reference "ghcr.io/org/private:1.0": failed to authorize: failed to fetch oauth token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aorg%2Fprivate%3Apull&service=ghcr.io: 401 Unauthorized`,
    "auth-denied",
    "containerd-oauth-token-rejected",
  ],
  [`Error response from daemon: Head "https://ghcr.io/v2/org/public/manifests/1.0": denied: denied`, "auth-denied", "registry-denied"],
  [
    `Failed to pull image "swr.example.com/team/app:1": rpc error: code = Unknown desc = Error response from daemon: Get https://swr.example.com/v2/: denied: You may not login yet`,
    "auth-denied",
    "registry-denied",
  ],
  [
    `failed to resolve reference "nvcr.io/nvidia/app:1": unexpected status from HEAD request to https://nvcr.io/v2/nvidia/app/manifests/1: 403 Forbidden`,
    "auth-denied",
    "http-403",
  ],

  // --- auth-required (and Docker Hub's ambiguous answers, see rules.ts)
  [
    `pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`,
    "auth-required",
    "containerd-no-basic-auth",
  ],
  [
    `denied: Unauthenticated request. Unauthenticated requests do not have permission "artifactregistry.repositories.downloadArtifacts" on resource "projects/p/locations/europe/repositories/r" (or it may not exist)`,
    "auth-required",
    "gcp-unauthenticated",
  ],
  [
    `failed to pull and unpack image "docker.io/library/coscupweb-base:21.07.08": failed to resolve reference "docker.io/library/coscupweb-base:21.07.08": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`,
    "auth-required",
    "containerd-pull-access-denied",
  ],
  [
    `Error response from daemon: pull access denied for devlikeapro/waha-plus, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`,
    "auth-required",
    "docker-pull-access-denied",
  ],
  [
    `pulling image failed: rpc error: code = Unknown desc = Error reading manifest latest in docker.io/crio/busybox: errors:\ndenied: requested access to the resource is denied\nunauthorized: authentication required`,
    "auth-required",
    "registry-requested-access-denied",
  ],
  [
    `ctr: failed to resolve reference "docker.io/library/go:nanoserver": server message: insufficient_scope: authorization failed`,
    "auth-required",
    "containerd-insufficient-scope",
  ],
  [
    `Error response from daemon: Head "https://myreg.azurecr.io/v2/app/manifests/1.0": unauthorized: authentication required, visit https://aka.ms/acr/authorization for more information.`,
    "auth-required",
    "registry-unauthorized",
  ],
  [`{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, "auth-required", "registry-unauthorized"],
  [
    `failed to resolve reference "registry.example.com:5000/team/app:1.0": unexpected status from HEAD request to https://registry.example.com:5000/v2/team/app/manifests/1.0: 401 Unauthorized`,
    "auth-required",
    "http-401",
  ],

  // --- rate-limited
  [
    `Failed to pull image "busybox": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/busybox:latest": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/busybox/manifests/${D}: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit`,
    "rate-limited",
    "dockerhub-pull-rate-limit",
  ],
  [
    `failed to pull and unpack image "docker.io/library/busybox:latest": failed to copy: httpReadSeeker: failed open: unexpected status from GET request to https://registry-1.docker.io/v2/library/busybox/manifests/${D}: 429 Too Many Requests\ntoomanyrequests: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit`,
    "rate-limited",
    "dockerhub-pull-rate-limit",
  ],
  [`ERROR: toomanyrequests: Too Many Requests.`, "rate-limited", "registry-toomanyrequests"],
  [`reading manifest 1.0 in quay.io/org/app: too many requests to registry`, "rate-limited", "crio-too-many-requests"],
  [
    `failed to resolve reference "quay.io/org/app:1.0": unexpected status from HEAD request to https://quay.io/v2/org/app/manifests/1.0: 429 Too Many Requests`,
    "rate-limited",
    "http-429",
  ],

  // --- not-found
  [
    `rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/salesforce/salesforcedx:latest": failed to resolve reference "docker.io/salesforce/salesforcedx:latest": docker.io/salesforce/salesforcedx:latest: not found`,
    "not-found",
    "containerd-resolve-not-found",
  ],
  [
    `Failed to pull image "ghcr.io/alexsjones/sympozium/apiserver:v0.0.29": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/alexsjones/sympozium/apiserver:v0.0.29": failed to resolve reference "ghcr.io/alexsjones/sympozium/apiserver:v0.0.29": ghcr.io/alexsjones/sympozium/apiserver:v0.0.29: not found`,
    "not-found",
    "containerd-resolve-not-found",
  ],
  [
    `E1019 08:42:32.241019  112327 remote_image.go:242] "PullImage from image service failed" err="rpc error: code = NotFound desc = failed to pull and unpack image \\"sealos.hub:5000/pause:3.8\\": failed to resolve reference \\"sealos.hub:5000/pause:3.8\\": sealos.hub:5000/pause:3.8: not found" image="sealos.hub:5000/pause:3.8"`,
    "not-found",
    "containerd-resolve-not-found",
  ],
  [
    `rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.99": failed to resolve image: docker.io/library/nginx:1.99: not found`,
    "not-found",
    "containerd-resolve-not-found",
  ],
  [
    `pulling image failed: rpc error: code = Unknown desc = failed to pull and unpack image "quay.io/munnerz/kube-plex:latest": failed to copy: httpReaderSeeker: failed open: could not fetch content descriptor sha256:13fffb730e53e451a6be2c649c4da3dfb252bb411802ce87f9f704d602d3a195 (application/vnd.docker.distribution.manifest.v1+prettyjws; charset=utf-8) from remote: not found`,
    "not-found",
    "containerd-fetch-not-found",
  ],
  [
    `failed to copy: httpReadSeeker: failed open: content at https://registry.example.com/v2/team/app/manifests/${D} not found: not found`,
    "not-found",
    "containerd-content-at-not-found",
  ],
  [`Error response from daemon: manifest for 14790897/openwrt:86_64 not found: manifest unknown: manifest unknown`, "not-found", "docker-manifest-not-found"],
  [
    `FATA[0000] pulling image failed: rpc error: code = Unknown desc = Error reading manifest latest in registry.mydomain/image: manifest unknown: manifest unknown`,
    "not-found",
    "registry-manifest-unknown",
  ],
  [`reading manifest v9.9 in quay.io/org/app: manifest unknown`, "not-found", "registry-manifest-unknown"],
  [`{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry","detail":{"name":"team/ap"}}]}`, "not-found", "registry-name-unknown"],
  [`name unknown: The repository with name 'app' does not exist in the registry with id '123456789012'`, "not-found", "ecr-repository-not-found"],
  [`manifest unknown: Requested image not found`, "not-found", "ecr-image-not-found"],
  [
    `Error response from daemon: error parsing HTTP 404 response body: invalid character '<' looking for beginning of value: "<html><head><title>404 Not Found</title></head></html>"`,
    "not-found",
    "http-404",
  ],

  // --- registry-unavailable
  [
    `failed to resolve reference "registry.example.com/team/app:1.0": unexpected status from HEAD request to https://registry.example.com/v2/team/app/manifests/1.0: 503 Service Unavailable`,
    "registry-unavailable",
    "http-5xx",
  ],
  [
    `failed to copy: httpReadSeeker: failed open: unexpected status code https://registry.example.com/v2/team/app/blobs/${D}: 502 Bad Gateway`,
    "registry-unavailable",
    "http-5xx",
  ],
  [`Error response from daemon: Get https://registry-1.docker.io/v2/: Service Unavailable`, "registry-unavailable", "http-5xx"],
  [`Error response from daemon: received unexpected HTTP status: 503 Service Unavailable`, "registry-unavailable", "crio-unexpected-http-status-5xx"],
  [
    `failed to pull and unpack image "docker.io/library/postgres:16": failed to extract layer ${D}: unexpected EOF: unknown`,
    "registry-unavailable",
    "go-unexpected-eof",
  ],
  [
    `Error response from daemon: failed to resolve reference "docker.io/eceasy/cli-proxy-api-plus:latest": failed to authorize: failed to fetch anonymous token: Get "https://auth.docker.io/token?scope=repository%3Aeceasy%2Fcli-proxy-api-plus%3Apull&service=registry.docker.io": EOF`,
    "registry-unavailable",
    "go-eof",
  ],
  [
    `failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://registry.example.com/v2/app/blobs/${D}": http2: server sent GOAWAY and closed the connection; LastStreamID=1999, ErrCode=NO_ERROR, debug=""`,
    "registry-unavailable",
    "go-http2-goaway",
  ],
  [`image pull failed for registry.example.com/app:1.0 because the registry is unavailable`, "registry-unavailable", "kubelet-registry-unavailable"],

  // --- pull-timeout
  [`cancel pulling image docker.io/library/tensorflow:2.15.0-gpu because of no progress in 5m0s`, "pull-timeout", "pull-no-progress"],
  [
    `Cancel pulling image "tensorflow/tensorflow:latest-gpu" because of no progress for 1m0s, latest progress: "a1b2c3: Downloading [====>   ] 300MB/2GB"`,
    "pull-timeout",
    "pull-no-progress",
  ],
  [
    `failed to pull and unpack image "docker.io/pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime": failed to copy: context deadline exceeded`,
    "pull-timeout",
    "containerd-copy-deadline",
  ],
  [
    `failed to pull and unpack image "docker.io/pytorch/pytorch:2.3.0": failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://registry-1.docker.io/v2/pytorch/pytorch/blobs/${D}": context deadline exceeded`,
    "pull-timeout",
    "containerd-blob-deadline",
  ],
  [
    `pulling image: rpc error: code = Canceled desc = failed to pull and unpack image "docker.io/library/nginx:latest": context canceled`,
    "pull-timeout",
    "containerd-pull-canceled",
  ],
  [`pulling image: rpc error: code = DeadlineExceeded desc = context deadline exceeded`, "pull-timeout", "grpc-deadline-exceeded"],
  [`rpc error: code = Canceled desc = context canceled`, "pull-timeout", "grpc-canceled"],
  [`error: context deadline exceeded`, "pull-timeout", "go-context-deadline"],
  [`Failed to pull image "xxx": rpc error: code = Unknown desc = context canceled`, "pull-timeout", "go-context-canceled"],

  // --- nothing decides: unknown, no rule
  [`Back-off pulling image "nginx:1.99"`, "unknown", undefined],
  [`Error: ErrImagePull`, "unknown", undefined],
  [`Error: ImagePullBackOff`, "unknown", undefined],
  [
    `failed to pull and unpack image "docker.io/prom/pushgateway:v0.9.1": failed to unpack image on snapshotter overlayfs: content digest sha256:7351147077496a942c478cb3f4c850c1feb5c96a614472582c3feae07de959db: not found`,
    "unknown",
    undefined,
  ],
  // A start failure, not a pull failure: the image was pulled.
  [`exec /docker-entrypoint.sh: exec format error`, "unknown", undefined],
  // kubelet failing to reach the runtime is not the runtime failing to reach the registry.
  [
    `rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing dial unix /run/containerd/containerd.sock: connect: connection refused"`,
    "unknown",
    undefined,
  ],
  [`open /var/lib/kubelet/config.json: permission denied: unknown`, "unknown", undefined],
  ["", "unknown", undefined],
  ["   \n\t ", "unknown", undefined],
];

test("every real message gets its cause and rule", () => {
  for (const [message, cause, rule] of CASES) {
    const c = classifyMessage(message);
    assert.deepEqual({ cause: c.cause, ruleId: c.ruleId }, { cause, ruleId: rule }, message);
  }
});

test("every rule is exercised by at least one real message", () => {
  // The real messages are these cases and the message table (agent/diagnose/corpus), whose rows
  // are checked row by row in corpus.test.ts.
  const table = loadCorpus().rows.map((r) => classifyMessage(r.message, r.context ?? {}).ruleId);
  const used = new Set([...CASES.map(([, , rule]) => rule), ...table]);
  const unused = MESSAGE_RULES.map((r) => r.id).filter((id) => !used.has(id));
  assert.deepEqual(unused, []);
  const unknownIds = [...used].filter((id) => id !== undefined && !MESSAGE_RULES.some((r) => r.id === id));
  assert.deepEqual(unknownIds, [], "the table names rules that do not exist");
});

test("the rule table is well formed", () => {
  const ids = MESSAGE_RULES.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, "rule ids are unique");
  for (const r of MESSAGE_RULES) {
    assert.match(r.id, /^[a-z0-9]+(?:-[a-z0-9]+)*$/, `${r.id} is kebab-case`);
    assert.ok((CAUSES as readonly string[]).includes(r.cause), `${r.id}: cause ${r.cause}`);
    // A rule exists to decide; "unknown" is what no rule matching means.
    // (Widened to string: the type already rules out "ok", the runtime check keeps it honest.)
    const cause: string = r.cause;
    assert.ok(cause !== "ok" && cause !== "unknown", `${r.id} decides a real cause`);
    assert.ok(r.pattern.flags.includes("i"), `${r.id} is case-insensitive`);
    assert.ok(!/[gy]/.test(r.pattern.flags), `${r.id} has no lastIndex state (no g or y flag)`);
    assert.ok(Number.isFinite(r.priority) && r.priority > 0, `${r.id} priority`);
    assert.ok(r.source.trim() !== "", `${r.id} names its source`);
  }
});

test("the classification names the rule's cause and the one-sentence summary", () => {
  for (const [message] of CASES) {
    const c = classifyMessage(message);
    if (c.ruleId === undefined) {
      assert.equal(c.cause, "unknown");
      continue;
    }
    assert.equal(MESSAGE_RULES.find((r) => r.id === c.ruleId)?.cause, c.cause);
    assert.ok(c.summary.endsWith("."), c.summary);
  }
});

// --- precedence: the inner, specific fact beats the wrapper ----------------------------------

const PRECEDENCE: readonly { why: string; message: string; cause: Cause; rule: string; beats: string[] }[] = [
  {
    why: "no platform beats the NotFound code and containerd's ': not found' suffix",
    message: `rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/app:1": failed to resolve reference "docker.io/library/app:1": docker.io/library/app:1: not found: no match for platform in manifest: not found`,
    cause: "platform-mismatch",
    rule: "containerd-no-match-platform",
    beats: ["containerd-resolve-not-found"],
  },
  {
    why: "a full disk beats the failed pull around it",
    message: `failed to pull and unpack image "docker.io/library/postgres:16": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/postgres/blobs/${D}: 503 Service Unavailable; write /var/lib/containerd/io.containerd.content.v1.content/ingest/ab/data: no space left on device`,
    cause: "disk-full",
    rule: "go-no-space-left",
    beats: ["http-5xx"],
  },
  {
    why: "a broken proxy explains the DNS failure that follows it",
    message: `Get "https://registry-1.docker.io/v2/": proxyconnect tcp: dial tcp: lookup proxy.corp: no such host`,
    cause: "network-timeout",
    rule: "go-proxyconnect",
    beats: ["go-dns-no-such-host"],
  },
  {
    why: "a DNS lookup that timed out is DNS, not a connect timeout",
    message: `dial tcp: lookup registry.example.com on 10.96.0.10:53: read udp 10.244.1.5:39152->10.96.0.10:53: i/o timeout`,
    cause: "dns",
    rule: "go-dns-lookup-timeout",
    beats: ["go-io-timeout"],
  },
  {
    why: "Docker Hub's quota text beats the bare 429",
    message: `unexpected status from GET request to https://registry-1.docker.io/v2/library/redis/manifests/7: 429 Too Many Requests toomanyrequests: You have reached your pull rate limit.`,
    cause: "rate-limited",
    rule: "dockerhub-pull-rate-limit",
    beats: ["http-429", "registry-toomanyrequests"],
  },
  {
    why: "a deadline while downloading a layer is a slow pull, not a dead network",
    message: `failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://registry-1.docker.io/v2/library/app/blobs/${D}": context deadline exceeded`,
    cause: "pull-timeout",
    rule: "containerd-blob-deadline",
    beats: ["go-http-request-deadline", "go-context-deadline"],
  },
  {
    why: "kubelet's RegistryUnavailable summary loses to the runtime's detail after it",
    message: `image pull failed for registry.example.com/app:1 because the registry is unavailable: dial tcp: lookup registry.example.com: no such host`,
    cause: "dns",
    rule: "go-dns-no-such-host",
    beats: ["kubelet-registry-unavailable"],
  },
  {
    why: "ECR's expired token beats the 403 and the DENIED code around it",
    message: `unexpected status from HEAD request to https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/app/manifests/1: 403 Forbidden denied: Your authorization token has expired. Reauthenticate and try again.`,
    cause: "auth-denied",
    rule: "ecr-token-expired",
    beats: ["http-403", "registry-denied"],
  },
  {
    why: "rejected credentials beat the generic 'unauthorized:' code",
    message: `Head "https://registry-1.docker.io/v2/library/nginx/manifests/latest": unauthorized: incorrect username or password`,
    cause: "auth-denied",
    rule: "registry-incorrect-credentials",
    beats: ["registry-unauthorized"],
  },
  {
    why: "a deadline on a request beats the bare gRPC code",
    message: `pulling image: rpc error: code = DeadlineExceeded desc = failed to pull and unpack image "docker.io/library/nginx:1": failed to resolve reference "docker.io/library/nginx:1": failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/1": context deadline exceeded`,
    cause: "network-timeout",
    rule: "go-http-request-deadline",
    beats: ["grpc-deadline-exceeded", "go-context-deadline"],
  },
];

test("inner causes beat wrappers and generic codes", () => {
  for (const p of PRECEDENCE) {
    const c = classifyMessage(p.message);
    assert.deepEqual({ cause: c.cause, ruleId: c.ruleId }, { cause: p.cause, ruleId: p.rule }, p.why);
    // The losers must really match, or the case proves nothing about precedence.
    for (const loser of p.beats) {
      const rule = MESSAGE_RULES.find((r) => r.id === loser);
      assert.ok(rule, `${loser} exists`);
      assert.ok(rule.pattern.test(p.message.replace(/\s+/g, " ")), `${p.why}: ${loser} also matches`);
    }
  }
});

test("between equally specific rules, the innermost text (latest in the message) wins", () => {
  const message = `Failed to apply default image tag "busyBOX": couldn't parse image reference "busyBOX": invalid reference format: repository name must be lowercase`;
  const first = MESSAGE_RULES.find((r) => r.id === "kubelet-default-tag");
  const inner = MESSAGE_RULES.find((r) => r.id === "reference-lowercase");
  assert.equal(first?.priority, inner?.priority);
  assert.equal(classifyMessage(message).ruleId, "reference-lowercase");
});

test("wording matches whatever the case and however the lines were wrapped", () => {
  const wrapped = `Warning  Failed     76s  kubelet  Failed to pull image "busybox": rpc error: code = Unknown\ndesc = failed to pull and unpack image "docker.io/library/busybox:latest": failed to copy: httpReadSeeker: failed open:\nunexpected status code https://registry-1.docker.io/v2/library/busybox/manifests/${D}:\n429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate\nlimit.`;
  assert.equal(classifyMessage(wrapped).ruleId, "dockerhub-pull-rate-limit");
  assert.equal(classifyMessage("DIAL TCP: LOOKUP REGISTRY.EXAMPLE.COM: NO SUCH HOST").cause, "dns");
});

// --- fuzz: random text and mutations of the real messages ---------------------------------------

test("every pattern stays linear: bounded quantifiers only, and no quantified group that repeats", () => {
  const patterns = [
    ...MESSAGE_RULES.map((r) => [r.id, r.pattern] as const),
    ...MESSAGE_HINTS.map((h) => [h.id, h.pattern] as const),
    ...CREDENTIAL_WORDINGS.map((w) => [w.source, w.pattern] as const),
  ];
  for (const [id, pattern] of patterns) {
    // Escapes and character classes cannot nest quantifiers; what is left is the pattern's shape.
    const shape = pattern.source.replace(/\\./g, "e").replace(/\[[^\]]*\]/g, "c");
    assert.ok(!/[+*]|\{\d+,\}/.test(shape), `${id}: unbounded quantifier in ${pattern.source}`);
    assert.ok(!/\)(?:\{\d+(?:,\d+)?\})/.test(shape.replace(/\)\{[01](?:,1)?\}/g, ")")), `${id}: a repeated group in ${pattern.source}`);
    assert.ok(!/[gy]/.test(pattern.flags), `${id}: lastIndex state`);
  }
});

const TOKENS = [
  "rpc error: code = ",
  "desc = ",
  "NotFound",
  "Unknown",
  "failed to pull and unpack image ",
  "failed to resolve reference ",
  '"',
  '\\"',
  "\\",
  ": ",
  "lookup ",
  " on ",
  "dial tcp ",
  "https://",
  "/v2/",
  "/blobs/sha256:",
  "no such host",
  "i/o timeout",
  "x509: certificate is valid for ",
  ", not ",
  "ratelimit-limit: ",
  ";w=",
  "429 Too Many Requests",
  "denied: ",
  "unauthorized: ",
  "context canceled",
  "context deadline exceeded",
  "no space left on device",
  "not found",
  "(",
  ")",
  "\n",
  "\t",
  " ",
  "€",
  "𝄞",
  "Back-off pulling image ",
  "Failed to pull image ",
  "image pull secrets (",
  "for architecture ",
  "variant ",
  "OS ",
  "[::1]:5000",
  // the wordings of the message table's rules, hints and signals
  "failed to fetch anonymous token: ",
  "failed to fetch oauth token: ",
  "no basic auth credentials",
  "403 Forbidden",
  "401 Unauthorized",
  "(Mirrors also failed: [",
  "]): ",
  "pull image err: ",
  "; artifact err: ",
  "unable to retrieve auth token: invalid username/password: ",
  "request to ",
  ": 522 ",
  "error parsing HTTP ",
  " response body",
  "stream error: stream ID ",
  'malformed HTTP response "\\x15\\x03',
  "x509: ",
  "remote error: tls: ",
  "local error: tls: ",
  "connectex: ",
  "wsarecv: ",
  "is present with pull policy of ",
  '"Never"',
  "error execing credential provider plugin ",
  " for image ",
  "exit status ",
  "Source image rejected: ",
  "registry ",
  " is blocked in ",
  "permission_denied: ",
  "client with IP '",
  "unauthorized to access repository: ",
  ", action: pull",
  "Authentication is required",
];

function randomText(rand: () => number, maxLen: number): string {
  let s = "";
  const len = Math.floor(rand() * maxLen);
  while (s.length < len) {
    const r = rand();
    if (r < 0.45) s += TOKENS[Math.floor(rand() * TOKENS.length)] ?? "";
    else if (r < 0.9) s += String.fromCharCode(32 + Math.floor(rand() * 95));
    else s += String.fromCharCode(Math.floor(rand() * 0xffff));
  }
  return s;
}

function mutate(rand: () => number, message: string): string {
  let s = message;
  const edits = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rand() * (s.length + 1));
    const len = Math.floor(rand() * 20);
    switch (Math.floor(rand() * 6)) {
      case 0:
        s = s.slice(0, at) + s.slice(at + len);
        break; // delete
      case 1:
        s = s.slice(0, at) + s.slice(at, at + len).repeat(1 + Math.floor(rand() * 5)) + s.slice(at + len);
        break; // stutter
      case 2:
        s = s.slice(0, at) + randomText(rand, 30) + s.slice(at);
        break; // insert
      case 3:
        s = s.slice(0, at) + s.slice(at, at + len).toUpperCase() + s.slice(at + len);
        break;
      case 4:
        s = s.slice(0, at);
        break; // truncate
      default:
        s = s.replace(/"/g, rand() < 0.5 ? '\\"' : "“"); // re-quote as in logs or pasted prose
    }
  }
  return s;
}

function assertValid(message: string): void {
  const c = classifyMessage(message);
  const cause: string = c.cause;
  assert.ok((CAUSES as readonly string[]).includes(cause) && cause !== "ok", `cause ${cause}`);
  if (c.ruleId === undefined) assert.equal(c.cause, "unknown");
  else assert.equal(MESSAGE_RULES.find((r) => r.id === c.ruleId)?.cause, c.cause);
  assert.equal(typeof c.summary, "string");
  const e = explainMessage(message);
  assert.equal(e.cause, c.cause);
  assert.ok(e.summary.length > 0 && e.fix.length > 0);
  for (const f of e.fix) assert.equal(typeof f, "string");
}

test("fuzz: 5,000 seeded random strings and mutations of the real messages never throw", () => {
  const rand = prng(0x5eed);
  const seeds = [...CASES.map(([m]) => m), ...loadCorpus().rows.map((r) => r.message)].filter((m) => m.trim() !== "");
  for (let i = 0; i < 5000; i++) {
    const message = i % 2 === 0 ? randomText(rand, 400) : mutate(rand, seeds[Math.floor(rand() * seeds.length)] ?? "");
    try {
      assertValid(message);
    } catch (err) {
      assert.fail(`iteration ${i} (seed 0x5eed) failed on ${JSON.stringify(message)}: ${(err as Error).message}`);
    }
  }
});

test("fuzz: 100 KB adversarial inputs finish and stay valid", () => {
  const big = 100 * 1024;
  const inputs = [
    "\\".repeat(big),
    "lookup ".repeat(big / 7),
    `lookup ${"a".repeat(big)}`,
    `dial tcp ${"1".repeat(big)}`,
    "failed to copy: ".repeat(big / 16),
    `failed to resolve reference "${"x".repeat(big)}`,
    `certificate is valid for ${"a, ".repeat(big / 3)}`,
    "https://".repeat(big / 8),
    `Failed to pull image "${"n".repeat(big)}": ${"context canceled ".repeat(100)}`,
    "denied: ".repeat(big / 8),
    "lookup a on ".repeat(big / 12),
    `dial tcp: lookup ${"a".repeat(big)}`,
    "request to ".repeat(big / 11),
    `request to ${":".repeat(big)}`,
    "(Mirrors also failed: [".repeat(big / 24),
    "pull image err: ; artifact err: ".repeat(big / 32),
    "failed to fetch anonymous token: ".repeat(big / 33),
    `failed to fetch oauth token: ${"4".repeat(big)}`,
    `Signature for identity ${"x".repeat(big)}`,
    `registry ${"a ".repeat(big / 2)}is blocked in `,
    "unauthorized to access repository: ".repeat(big / 35),
    "error execing credential provider plugin a for image ".repeat(big / 52),
    `x509: ${"x509: ".repeat(big / 6)}`,
    "a".repeat(big),
    " ".repeat(big),
    CASES.map(([m]) => m)
      .join(" ")
      .repeat(4),
  ];
  for (const input of inputs) assertValid(input);
  // The cause at the end of a long message survives truncation: the tail is kept.
  assert.equal(classifyMessage(`${"x".repeat(200 * 1024)} dial tcp: lookup r.example: no such host`).cause, "dns");
});
