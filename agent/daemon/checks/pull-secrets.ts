import { type Check, periodic } from "./check.js";
import type { CheckContext } from "./context.js";

/** Whether the pull Secrets of this node's pods still work (HEAD, no pull). Needs the pod watch and kube.readSecrets. */
export function pullSecretsCheck(ctx: CheckContext): Check | undefined {
  const { config, kube } = ctx;
  if (kube === undefined || !config.kube.readSecrets) return undefined;
  return periodic(ctx.recorder, {
    name: "pull-secrets",
    schedule: { every: config.kube.secretCheckInterval },
    work: () => kube.watch.checkSecrets(),
    keep: (checks) => checks,
    describe: (checks) => {
      const bad = checks.filter((c) => c.state !== "ok" && c.state !== "unverified");
      return `${checks.length} pull Secret${checks.length === 1 ? "" : "s"} checked${bad.length ? `, not working: ${bad.map((c) => `${c.secret} (${c.state})`).join(", ")}` : ", all working"}`;
    },
  });
}
