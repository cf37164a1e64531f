import type { FailureCause } from "./causes.js";
import { classifyMessage, type MessageFacts } from "./classify.js";
import type { ProviderCoverage } from "./credential-provider/index.js";
import { fixesFor } from "./explain-fixes.js";
import { buildScene, type WorkloadNames } from "./explain-scene.js";
import { summarize } from "./explain-summary.js";
import type { CredentialSignal } from "./rules.js";

export type { WorkloadNames } from "./explain-scene.js";
export interface Explanation {
  cause: FailureCause;
  /** One sentence, with the image, host or quota the message named (two when the words cannot decide). */
  summary: string;
  /** Commands a person can paste, most useful first; placeholders only for what is not known. */
  fix: string[];
  /** The rule that decided the cause, undefined when none did. */
  rule: string | undefined;
  facts: MessageFacts;
  /** False when the words can mean other causes too (then `pullmedic diagnose` comes first), and for "unknown". */
  confident: boolean;
  /** The other causes the words can mean. */
  alternatives: FailureCause[];
  /** A recognized family without a label (hints.ts), when the cause is "unknown". */
  hint: string | undefined;
}

/** What the caller knows that the message does not say. */
export interface ExplainContext {
  /** The pod's names (namespace, pod, container, workload, secrets): they replace <placeholders>. */
  names?: WorkloadNames;
  /** A kubelet image credential provider covers the image: auth answers are about it, not about Secrets. */
  provider?: ProviderCoverage;
  /** Whether the node had credentials for the image, when the caller knows; the message's own words win. */
  credentials?: CredentialSignal;
}

/** Explains a pull failure message the way `pullmedic explain` prints it. Never throws. */
export function explainMessage(message: string, context: ExplainContext = {}): Explanation {
  const c = classifyMessage(message, context.credentials === undefined ? {} : { credentials: context.credentials });
  const base = { cause: c.cause, rule: c.ruleId, facts: c.facts, confident: c.confident, alternatives: c.alternatives, hint: c.hint?.id };
  try {
    // Only kubelet's back-off line says it is waiting; it is worth saying so instead of "unknown".
    const backOff = c.cause === "unknown" && typeof message === "string" && /Back-off pulling image/i.test(message.slice(0, 4096));
    const s = buildScene(c, backOff, context.names, context.provider);
    return { ...base, summary: summarize(s), fix: fixesFor(s) };
  } catch {
    return { ...base, summary: c.summary, fix: ["kubectl describe pod <pod> -n <namespace>"] };
  }
}
