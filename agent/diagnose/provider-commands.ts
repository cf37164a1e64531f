import type { ProviderCoverage } from "./credential-provider/index.js";
import { shellQuote } from "./fix-commands.js";

/**
 * Commands for a person on a node whose kubelet gets registry credentials from a credential
 * provider plugin: its exit status in kubelet's log, its config, a run by hand that prints the
 * registries it answers for and never a password, and the cloud identity it asks with.
 */
export function providerCommands(name: string, image: string | undefined, p: ProviderCoverage | undefined, registryHost?: string): string[] {
  const out = [
    `journalctl -u kubelet --since -1h | grep -F ${shellQuote(`credential provider plugin ${name}`)} | tail -5  # the plugin's exit status and its own error`,
  ];
  if (p !== undefined) {
    out.push(`cat ${shellQuote(p.configPath)}  # provider ${p.provider} covers this image through matchImages ${shellQuote(p.matchedBy)}`);
    const request = JSON.stringify({ apiVersion: p.apiVersion, kind: "CredentialProviderRequest", image: image ?? "<image>" });
    const bin = `${p.binDir ?? "<bin-dir>"}/${p.provider}`;
    out.push(
      `echo ${shellQuote(request)} | ${[bin, ...p.args].map(shellQuote).join(" ")} | jq '{cacheKeyType, cacheDuration, registries: (.auth | keys)}'  # runs the plugin as kubelet does; prints registries, no password`,
    );
    if (p.envNames.length > 0) out.push(`# kubelet also passes the plugin these variables from the config: ${p.envNames.join(", ")}`);
  } else {
    out.push("ps -o args= -C kubelet | tr ' ' '\\n' | grep image-credential-provider  # the provider config and the plugin directory");
  }
  out.push(identityCommand(name, registryHost));
  return out;
}

/** The cloud identity each known plugin asks with, and the permission it needs. */
function identityCommand(name: string, registryHost: string | undefined): string {
  if (/ecr/i.test(name)) {
    return "aws sts get-caller-identity; aws iam list-attached-role-policies --role-name <node-role>  # the node's role needs ecr:GetAuthorizationToken and ecr:BatchGetImage (AmazonEC2ContainerRegistryReadOnly)";
  }
  if (/acr|azure/i.test(name)) {
    const registry = shellQuote((registryHost ?? "<registry>").split(".")[0] ?? "<registry>");
    return `az role assignment list --assignee <kubelet-identity-client-id> --scope "$(az acr show --name ${registry} --query id -o tsv)"  # the kubelet identity needs AcrPull`;
  }
  if (/gcp|gcr|google/i.test(name)) {
    return "gcloud artifacts repositories get-iam-policy <repository> --location <location>  # the node's service account needs roles/artifactregistry.reader";
  }
  return "# the identity the plugin authenticates as needs pull access to this repository";
}
