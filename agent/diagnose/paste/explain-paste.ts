import type { FailureCause } from "../causes.js";
import { type Classification, classifyMessage } from "../classify.js";
import type { ProviderCoverage } from "../credential-provider/index.js";
import { type ExplainContext, type Explanation, explainMessage } from "../explain.js";
import type { WorkloadNames } from "../explain-scene.js";
import { MESSAGE_RULES } from "../rules.js";
import type { PasteCandidate, PasteReading, PasteSource } from "./candidate.js";
import { mergeNames, workloadFromPodName } from "./names.js";
import { readPaste } from "./read.js";

export interface PasteExplanation extends Explanation {
  /** The message the explanation is about, as found in the paste. */
  message: string;
  source: PasteSource;
  /** The names filled into the fixes. */
  names: WorkloadNames;
  /** How many pull messages the paste held. */
  candidates: number;
}

export interface PasteOptions extends Omit<ExplainContext, "provider"> {
  /** Whether a kubelet credential provider covers an image (found in the paste), e.g. from the node's kubelet. */
  providerFor?: (image: string) => ProviderCoverage | undefined;
}

/**
 * Explains whatever was pasted: finds the most precise pull message in it (the rule that decides
 * with the most specific words; the latest among equals) and fills the fixes with the namespace,
 * pod, container, workload, node and secrets read around it. Never throws.
 */
export function explainPaste(text: string, options: PasteOptions = {}): PasteExplanation {
  const reading = readPaste(text);
  const classify = memo();
  const best = mostPrecise(reading.candidates, classify) ?? { message: typeof text === "string" ? text : "", source: "text" as const, names: {}, order: 0 };
  const classified = classify(best.message);
  const message = withImage(withProviderFailure(best, classified, reading.candidates, classify), classified.facts.image, reading, classify);
  const image = classify(message).facts.image;
  const names = mergeNames(options.names, best.names, containerFor(image, reading), reading.names);
  if (names.workload === undefined && names.pod !== undefined) {
    const workload = workloadFromPodName(names.pod);
    if (workload !== undefined) names.workload = workload;
  }
  const provider = image === undefined ? undefined : options.providerFor?.(image);
  const context: ExplainContext = {
    names,
    ...(provider !== undefined ? { provider } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
  };
  return { ...explainMessage(message, context), message, source: best.source, names, candidates: reading.candidates.length };
}

const PRIORITY = new Map(MESSAGE_RULES.map((r) => [r.id, r.priority]));

/** Causes a missing pull secret explains; any other failure next to it is the pull's own reason. */
const SECRET_EXPLAINS: readonly FailureCause[] = ["auth-required", "auth-denied", "secret-invalid", "unknown"];

type Classify = (message: string) => Classification;

/** A paste repeats the same message many times (every retry, every log line): classify each once. */
function memo(): Classify {
  const seen = new Map<string, Classification>();
  return (message) => {
    let c = seen.get(message);
    if (c === undefined) {
      c = classifyMessage(message);
      seen.set(message, c);
    }
    return c;
  };
}

function mostPrecise(candidates: readonly PasteCandidate[], classify: Classify): PasteCandidate | undefined {
  const scored = candidates.map((c) => {
    const k = classify(c.message);
    // A rule's priority says how specific its words are; a recognized family beats plain noise.
    const score = k.ruleId !== undefined ? (PRIORITY.get(k.ruleId) ?? 0) : k.hint !== undefined ? 0.5 : /Back-off pulling image/i.test(c.message) ? 0.2 : 0;
    return { c, score, cause: k.cause };
  });
  // kubelet warns about a missing pull secret before every pull; when the pull then failed for a
  // reason a secret cannot explain (DNS, a missing tag, TLS), that reason is the answer.
  const ownReason = scored.some((x) => x.cause === "secret-invalid") && scored.some((x) => !SECRET_EXPLAINS.includes(x.cause));
  let best: (typeof scored)[number] | undefined;
  for (const x of scored) {
    if (ownReason && x.cause === "secret-invalid") continue;
    if (best === undefined || x.score > best.score || (x.score === best.score && x.c.order > best.c.order)) best = x;
  }
  return best?.c;
}

/**
 * kubelet logs a failed credential provider plugin apart from the pull it then makes without
 * credentials; an auth answer reads better with the plugin's own failure next to it.
 */
function withProviderFailure(best: PasteCandidate, classified: Classification, all: readonly PasteCandidate[], classify: Classify): string {
  if (classified.cause !== "auth-required" && classified.cause !== "auth-denied") return best.message;
  if (classified.facts.provider !== undefined) return best.message;
  const plugin = all.find((c) => c !== best && classify(c.message).facts.provider !== undefined);
  return plugin === undefined ? best.message : `${best.message}\n${plugin.message}`;
}

/**
 * kubelet's secret warning names no image; when the paste is about one image, the explanation
 * can still name its registry (the key the pull secret needs), in kubelet's own log form.
 */
function withImage(message: string, image: string | undefined, reading: PasteReading, classify: Classify): string {
  if (image !== undefined) return message;
  const images = new Set(reading.candidates.map((c) => classify(c.message).facts.image).filter((i): i is string => i !== undefined));
  if (images.size === 0) for (const c of reading.containers) images.add(c.image);
  const [only] = images;
  return images.size === 1 && only !== undefined && !/["\s]/.test(only) ? `${message} image="${only}"` : message;
}

/** The container whose image the message names, when exactly one has it. */
function containerFor(image: string | undefined, reading: PasteReading): WorkloadNames {
  if (image === undefined) return {};
  const matches = reading.containers.filter((c) => c.image === image || sameImage(c.image, image));
  return matches.length === 1 && matches[0] !== undefined ? { container: matches[0].name } : {};
}

function sameImage(a: string, b: string): boolean {
  const strip = (s: string) => s.replace(/^docker\.io\/(?:library\/)?/, "");
  return strip(a) === strip(b);
}
