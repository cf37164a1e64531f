// The message table, credential-providers: error strings as the components write them, with the answer
// explain must give. Data only, one row per line; the fields are described in rows.ts.
import type { StoredFile } from "./rows.js";

export const credentialProviders = {
  component: "credential-providers",
  rows: [
    {
      message:
        "Jun 12 09:14:03 ip-10-0-12-34 kubelet[2451]: E0612 09:14:03.101010    2451 plugin.go:749] Failed getting credential from external registry credential provider: error execing credential provider plugin ecr-credential-provider for image 123456789012.dkr.ecr.us-east-1.amazonaws.com/payments/api:v42: exit status 1: E0612 09:14:03.090000    2210 main.go:361] Error running credential provider plugin: operation error ECR: GetAuthorizationToken, https response error StatusCode: 400, RequestID: 5f0c2d7e-1a2b-4c3d-9e8f-0a1b2c3d4e5f, api error AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/eks-node-role/i-0a1b2c3d4e5f67890 is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action",
      cause: "auth-denied",
      project: "kubernetes/cloud-provider-aws",
      file: "cmd/ecr-credential-provider/main.go",
      version: "v1.31",
      kind: "source",
      rule: "ecr-not-authorized",
      note: "the node role lacks ecr:GetAuthorizationToken",
    },
    {
      message:
        "Jun 12 09:14:03 ip-10-0-12-34 kubelet[2451]: E0612 09:14:03.101010    2451 plugin.go:749] Failed getting credential from external registry credential provider: error execing credential provider plugin ecr-credential-provider for image 123456789012.dkr.ecr.us-east-1.amazonaws.com/payments/api:v42: exit status 1: E0612 09:14:03.090000    2210 main.go:361] Error running credential provider plugin: operation error ECR: GetAuthorizationToken, get identity: get credentials: failed to refresh cached credentials, no EC2 IMDS role found, operation error ec2imds: GetMetadata, http response error StatusCode: 404, request to EC2 IMDS failed",
      cause: "auth-required",
      project: "kubernetes/cloud-provider-aws",
      file: "cmd/ecr-credential-provider/main.go",
      version: "v1.31",
      kind: "source",
      rule: "ecr-provider-no-identity",
      note: "no instance profile: the plugin has no identity to ask with",
    },
    {
      message:
        'Jun 12 09:14:03 ip-10-0-12-34 kubelet[2451]: E0612 09:14:03.101010    2451 plugin.go:749] Failed getting credential from external registry credential provider: error execing credential provider plugin ecr-credential-provider for image 123456789012.dkr.ecr.us-east-1.amazonaws.com/payments/api:v42: exit status 1: E0612 09:14:03.090000    2210 main.go:361] Error running credential provider plugin: operation error ECR: GetAuthorizationToken, exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: , request send failed, Post "https://api.ecr.us-east-1.amazonaws.com/": dial tcp: lookup api.ecr.us-east-1.amazonaws.com on 10.0.0.2:53: no such host',
      cause: "dns",
      project: "kubernetes/cloud-provider-aws",
      file: "cmd/ecr-credential-provider/main.go",
      version: "v1.31",
      kind: "source",
      note: "the ECR API endpoint, not the registry, does not resolve (a private VPC without the endpoint)",
    },
    {
      message:
        "Jun 12 09:14:03 ip-10-0-12-34 kubelet[2451]: E0612 09:14:03.101010    2451 plugin.go:749] Failed getting credential from external registry credential provider: error execing credential provider plugin ecr-credential-provider for image 123456789012.dkr.ecr.us-east-1.amazonaws.com/payments/api:v42: fork/exec /etc/eks/image-credential-provider/ecr-credential-provider: no such file or directory: ",
      cause: "auth-required",
      project: "kubernetes/kubernetes",
      file: "pkg/credentialprovider/plugin/plugin.go",
      version: "1.30",
      kind: "source",
      rule: "kubelet-credential-provider-failed",
    },
    {
      message:
        "Jun 12 09:14:03 ip-10-0-12-34 kubelet[2451]: E0612 09:14:03.101010    2451 plugin.go:749] Failed getting credential from external registry credential provider: error execing credential provider plugin ecr-credential-provider for image 123456789012.dkr.ecr.us-east-1.amazonaws.com/payments/api:v42: context deadline exceeded: ",
      cause: "auth-required",
      project: "kubernetes/kubernetes",
      file: "pkg/credentialprovider/plugin/plugin.go",
      version: "1.31",
      kind: "source",
      note: "the plugin ran longer than kubelet's one-minute limit",
    },
    {
      message:
        "Jun 12 09:14:03 ip-10-0-12-34 kubelet[2451]: E0612 09:14:03.101010    2451 plugin.go:749] Failed getting credential from external registry credential provider: apiVersion from credential plugin response did not match expected apiVersion:credentialprovider.kubelet.k8s.io/v1, actual apiVersion:credentialprovider.kubelet.k8s.io/v1alpha1",
      cause: "auth-required",
      project: "kubernetes/kubernetes",
      file: "pkg/credentialprovider/plugin/plugin.go",
      version: "1.29",
      kind: "source",
    },
    {
      message:
        "Jun 12 09:14:03 ip-10-0-12-34 kubelet[2451]: E0612 09:14:03.101010    2451 plugin.go:749] Failed getting credential from external registry credential provider: error decoding credential provider plugin response from stdout",
      cause: "auth-required",
      project: "kubernetes/kubernetes",
      file: "pkg/credentialprovider/plugin/plugin.go",
      version: "1.31",
      kind: "source",
    },
    {
      message:
        'E0830 01:00:13.584126    4708 plugin.go:233] Failed getting credential from external registry credential provider: error execing credential provider plugin acr-credential-provider for image e2eacr8b91.azurecr.io/nanoserver: exec: "C:\\\\var\\\\lib\\\\kubelet\\\\credential-provider\\\\acr-credential-provider": file does not exist',
      cause: "auth-required",
      project: "kubernetes-sigs/cloud-provider-azure",
      file: "kubelet on Windows (cloud-provider-azure#4533)",
      version: "1.27",
      kind: "issue",
    },
    {
      message:
        "Jun 12 09:14:03 ip-10-0-12-34 kubelet[2451]: E0612 09:14:03.101010    2451 plugin.go:749] Failed getting credential from external registry credential provider: error execing credential provider plugin acr-credential-provider for image acmeprod.azurecr.io/shop/cart:1.4: exit status 1: E0612 09:14:03.050000    2301 main.go:63] Error running acr credential provider: Failed to initialize ACR provider: failed to create service principal token: no credentials provided for Azure cloud provider",
      cause: "auth-required",
      project: "kubernetes-sigs/cloud-provider-azure",
      file: "cmd/acr-credential-provider",
      version: "v1.31",
      kind: "issue",
    },
    {
      message:
        'Jun 12 09:14:03 ip-10-0-12-34 kubelet[2451]: E0612 09:14:03.101010    2451 plugin.go:749] Failed getting credential from external registry credential provider: error execing credential provider plugin auth-provider-gcp for image us-docker.pkg.dev/acme-prod/images/api:1.0: exit status 1: F0612 09:14:03.070000    2302 main.go:71] Error running auth-provider-gcp: error fetching token: Get "http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token": dial tcp 169.254.169.254:80: i/o timeout',
      cause: "network-timeout",
      project: "kubernetes/cloud-provider-gcp",
      file: "cmd/auth-provider-gcp",
      version: "v33",
      kind: "issue",
      note: "the metadata server, not the registry, timed out",
    },
    {
      message:
        'E0829 19:00:41.671878     408 kuberuntime_manager.go:273] "Failed to register CRI auth plugins" err="plugin binary executable C:\\\\var\\\\lib\\\\kubelet\\\\credential-provider\\\\acr-credential-provider did not exist"',
      cause: "unknown",
      project: "kubernetes/kubernetes",
      file: "pkg/kubelet/kuberuntime/kuberuntime_manager.go",
      version: "1.27",
      kind: "issue",
      note: "kubelet refuses to start: hint credential-provider-config",
    },
    {
      message:
        'E1104 20:58:31.931732    2684 kuberuntime_manager.go:261] "Failed to register CRI auth plugins" err="error decoding config /var/lib/kubelet/credential-provider-config.yaml: no kind \\"CredentialProviderConfig\\" is registered for version \\"kubelet.config.k8s.io/v1\\" in scheme \\"pkg/credentialprovider/plugin/plugin.go:56\\""',
      cause: "unknown",
      project: "kubernetes/kubernetes",
      file: "pkg/credentialprovider/plugin/config.go",
      version: "1.25",
      kind: "issue",
      note: "a v1 config on a kubelet that only knows v1beta1",
    },
    {
      message:
        'failed to validate credential provider config: providers.matchImages: Invalid value: "*.dkr.ecr.*.amazonaws.com/": match image is invalid: path must not end with "/"',
      cause: "unknown",
      project: "kubernetes/kubernetes",
      file: "pkg/credentialprovider/plugin/config.go",
      version: "1.31",
      kind: "source",
      note: "hint credential-provider-config",
    },
  ],
} satisfies StoredFile;
