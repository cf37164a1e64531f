import type { Scene } from "./explain-scene.js";
import { diagnoseCommand } from "./fix-commands.js";
import { providerCommands } from "./provider-commands.js";

/**
 * Fixes for an auth failure on an image a kubelet credential provider covers (or whose plugin
 * failed, as the message says): about the plugin and the node's cloud identity, not about pull
 * secrets. undefined when no provider is involved.
 */
export function providerFixes(s: Scene): string[] | undefined {
  const auth = s.c.cause === "auth-required" || s.c.cause === "auth-denied";
  if (!auth) return undefined;
  const name = s.provider?.provider ?? s.facts.provider?.name;
  if (name === undefined) return undefined;
  return [...providerCommands(name, s.facts.image, s.provider, s.hostOnly), diagnoseCommand(s.facts.image)];
}
