// The options several verbs take, each declared once. Where verbs word one differently (what a
// deadline covers, whose credentials a file holds), the verb passes its words; the flag, its
// argument and its default stay here.
import { LOG_LEVELS } from "../core/log/index.js";
import { DEFAULT_TIMEOUT_SECONDS } from "./defaults.js";
import type { OptionSpec } from "./verb.js";

/** The flags every verb with an answer takes. */
export interface JsonFlag {
  json?: boolean;
}

export const JSON_OUTPUT: OptionSpec = { flags: "--json", description: "print one JSON object on stdout instead of text" };

/** Program-wide, before the verb: `pullmedic --log-level debug diagnose …`. */
export const LOG_LEVEL: OptionSpec = { flags: "--log-level <level>", description: "log verbosity on stderr", choices: LOG_LEVELS, default: "warn" };

const ENDPOINT_HELP = "CRI socket, e.g. unix:///run/containerd/containerd.sock (default: $CRI_ENDPOINT, then detected)";

/** `use` says what a verb that can work without a runtime needs one for. */
export function criEndpoint(use?: string): OptionSpec {
  return { flags: "--cri-endpoint <url>", description: use === undefined ? ENDPOINT_HELP : `${ENDPOINT_HELP}; ${use}` };
}

/** `each` names what one deadline covers: "runtime call", "network step". */
export function timeoutSeconds(each: string): OptionSpec {
  return { flags: "--timeout <seconds>", description: `deadline for each ${each}`, default: String(DEFAULT_TIMEOUT_SECONDS) };
}

export function pullDeadlineSeconds(description: string, seconds: number): OptionSpec {
  return { flags: "--pull-deadline <seconds>", description, default: String(seconds) };
}

export function dockerConfig(description = "pull credentials as a .dockerconfigjson file"): OptionSpec {
  return { flags: "--docker-config <file>", description };
}

export const HOSTS_DIR: OptionSpec = {
  flags: "--hosts-dir <dir>",
  description: "containerd's registry host config (certs.d) directory (default: the one the runtime's own configuration names)",
};

/** Where the runtime's files are read when its process cannot be (no hostPID, not root). */
export const HOST_ROOT: OptionSpec = {
  flags: "--host-root <dir>",
  description: "the node's root mounted here: read the runtime's resolver, trust store and config from it when the runtime process cannot be read",
};

export const PLATFORM: OptionSpec = { flags: "--platform <os/arch[/variant]>", description: "the platform to check the image for (default: this node's)" };

export function stateFile(description: string): OptionSpec {
  return { flags: "--state-file <file>", description };
}

export function tokenFile(description: string): OptionSpec {
  return { flags: "--token-file <file>", description };
}

/** The daemons' configuration file; its values sit under the environment's and the flags'. */
export const CONFIG_FILE: OptionSpec = { flags: "--config <file>", description: "YAML configuration file" };

export const LOG_FORMAT: OptionSpec = {
  flags: "--log-format <format>",
  description: "json lines for collectors, or text for a terminal",
  choices: ["json", "text"],
};

/**
 * A daemon's defaults come from its configuration (file, then environment), which a flag's
 * default would override: its flags have none.
 */
export function withoutDefault(spec: OptionSpec): OptionSpec {
  const { default: _ignored, ...rest } = spec;
  return rest;
}

/** The verbs that only read the runtime (images, disk, status) take these and nothing else. */
export const RUNTIME_READ_OPTIONS: readonly OptionSpec[] = [JSON_OUTPUT, criEndpoint(), timeoutSeconds("runtime call")];

/** Verbs that talk to the Kubernetes API as the person at the terminal (cleanup, the kubectl plugin). */
export const KUBECONFIG_OPTION: OptionSpec = { flags: "--kubeconfig <file>", description: "the kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config)" };
export const CONTEXT_OPTION: OptionSpec = { flags: "--context <name>", description: "the kubeconfig context to use (default: its current-context)" };
