import type { Scene } from "./explain-scene.js";
import { diagnoseCommand, shellQuote } from "./fix-commands.js";

/**
 * Fixes for an auth failure on an image a kubelet credential provider covers (or whose plugin
 * failed): the plugin's exit status, its config, a run by hand that prints no password, and the
 * cloud identity the plugin uses. undefined when no provider is involved.
 */
export function providerFixes(s: Scene): string[] | undefined {
  const failed = s.facts.provider;
  const p = s.provider;
  const auth = s.c.cause === "auth-required" || s.c.cause === "auth-denied";
  if (p === undefined && (failed === undefined || !auth)) return undefined;
  if (p !== undefined && !auth) return undefined;
  const name = p?.provider ?? failed?.name ?? "<provider>";
  const out = [`journalctl -u kubelet --since -1h | grep -F ${shellQuote(`credential provider plugin ${name}`)} | tail -5  # the plugin's exit status and its own error`];
  if (p !== undefined) {
    out.push(`cat ${shellQuote(p.configPath)}  # provider ${p.provider} covers this image through matchImages ${shellQuote(p.matchedBy)}`);
    out.push(`${handRun(s, p.apiVersion, p.binDir, p.provider, p.args)}  # runs the plugin as kubelet does; prints registries, no password`);
    if (p.envNames.length > 0) out.push(`# kubelet also passes the plugin these variables from the config: ${p.envNames.join(", ")}`);
  } else {
    out.push("ps -o args= -C kubelet | tr ' ' '\\n' | grep image-credential-provider  # the provider config and the plugin directory");
  }
  out.push(identityFix(name, s));
  out.push(diagnoseCommand(s.facts.image));
  return out;
}

function handRun(s: Scene, apiVersion: string, binDir: string | undefined, name: string, args: readonly string[]): string {
  const request = JSON.stringify({ apiVersion, kind: "CredentialProviderRequest", image: s.facts.image ?? "<image>" });
  const bin = `${binDir ?? "<bin-dir>"}/${name}`;
  return `echo ${shellQuote(request)} | ${[bin, ...args].map(shellQuote).join(" ")} | jq '{cacheKeyType, cacheDuration, registries: (.auth | keys)}'`;
}

/** The cloud identity each known plugin asks with, and the permission it needs. */
function identityFix(name: string, s: Scene): string {
  if (/ecr/i.test(name)) {
    return `aws sts get-caller-identity; aws iam list-attached-role-policies --role-name <node-role>  # the node's role needs ecr:GetAuthorizationToken and ecr:BatchGetImage (AmazonEC2ContainerRegistryReadOnly)${s.ecrRegion ? ` in ${s.ecrRegion}` : ""}`;
  }
  if (/acr|azure/i.test(name)) {
    return `az role assignment list --assignee <kubelet-identity-client-id> --scope "$(az acr show --name ${(s.hostOnly ?? "<registry>").split(".")[0]} --query id -o tsv)"  # the kubelet identity needs AcrPull`;
  }
  if (/gcp|gcr|google/i.test(name)) {
    return `gcloud artifacts repositories get-iam-policy <repository> --location <location>  # the node's service account needs roles/artifactregistry.reader`;
  }
  return "# the identity the plugin authenticates as needs pull access to this repository";
}
