import { CAUSE_SUMMARY, type FailureCause } from "./causes.js";
import { findHint, type MessageHint } from "./hints.js";
import { extractFacts } from "./message-facts.js";
import { type CredentialSignal, MESSAGE_RULES, type MessageRule } from "./rules.js";
import { type ChainSignals, readSignals } from "./signals.js";

/** What a message says besides its cause; explain uses it to write exact fix commands. */
export interface MessageFacts {
  /** The image as kubelet or the runtime quoted it. */
  image?: string;
  /** Registry host (with port when one was written) the failing request went to. */
  host?: string;
  /** HTTP status the registry answered, when the message carries one. */
  status?: number;
  /** gRPC code of the outermost CRI error, e.g. "NotFound", "Unknown". */
  grpcCode?: string;
  rateLimit?: { limit?: number; remaining?: number; windowSeconds?: number };
  /** Names a certificate is valid for, from Go's "certificate is valid for a, b, not c". */
  certificateNames?: string[];
  /** The platform that was wanted, e.g. "linux/arm64/v8". */
  platform?: string;
  /** Pull secrets kubelet could not read. */
  secretNames?: string[];
  /** kubelet's image credential provider plugin that failed, and how it exited. */
  provider?: { name: string; exitStatus?: number };
}

export interface Classification {
  cause: FailureCause;
  /** The rule that decided; undefined exactly when nothing did and the cause is "unknown". */
  ruleId: string | undefined;
  facts: MessageFacts;
  summary: string;
  /**
   * False when the deciding rule's words are known to mean other causes too (a 404 that may be
   * a private repository, Docker Hub's "pull access denied"), and always for "unknown".
   */
  confident: boolean;
  /** The other causes the words can mean, when not confident. */
  alternatives: FailureCause[];
  signals: ChainSignals;
  /** A recognized family without a label, when the cause is "unknown". */
  hint: MessageHint | undefined;
}

/** What the caller knows that the message cannot say. */
export interface ClassifyContext {
  /**
   * Whether the node had credentials for the image (a kubelet credential provider covers it, or
   * the pod has a matching pull secret). The message's own words take precedence.
   */
  credentials?: CredentialSignal;
}

/**
 * Longer messages are cut to this many characters before matching, keeping the head (kubelet's
 * wrapper, which names the image) and the tail (the innermost error, which names the cause).
 */
export const MAX_MESSAGE_CHARS = 64 * 1024;

/**
 * Labels a pull failure message from kubelet, containerd, CRI-O or Docker. Never guesses: when no
 * rule matches, the cause is "unknown". Never throws, whatever it is given.
 */
export function classifyMessage(message: string, context: ClassifyContext = {}): Classification {
  try {
    const cleaned = clean(prepare(message));
    const facts = extractFacts(cleaned);
    for (const segment of decisiveSegments(cleaned)) {
      const signals = readSignals(segment, context.credentials);
      const rule = bestRule(segment, stripWrappers(segment), signals);
      if (rule !== undefined) return decided(rule, facts, signals);
    }
    const hint = findHint(cleaned);
    return { ...undecided(), facts, signals: readSignals(cleaned, context.credentials), hint };
  } catch {
    // Every step above is meant to be total; this is the promise to callers, not a code path.
    return { ...undecided(), facts: {}, signals: { credentials: undefined, components: [] }, hint: undefined };
  }
}

function undecided(): Pick<Classification, "cause" | "ruleId" | "summary" | "confident" | "alternatives"> {
  return { cause: "unknown", ruleId: undefined, summary: CAUSE_SUMMARY.unknown, confident: false, alternatives: [] };
}

function decided(rule: MessageRule, facts: MessageFacts, signals: ChainSignals): Classification {
  const alternatives = [...(rule.alternatives ?? [])];
  return {
    cause: rule.cause,
    ruleId: rule.id,
    facts,
    summary: CAUSE_SUMMARY[rule.cause],
    confident: alternatives.length === 0,
    alternatives,
    signals,
    hint: undefined,
  };
}

/**
 * The parts of a message that decide, most decisive first, then the whole. containers/image lists
 * the mirrors it tried before the primary registry's error ("(Mirrors also failed: [..]): ref:
 * err"): the pull failed because the primary did. CRI-O's artifact fallback appends why the image
 * was not an artifact either ("pull image err: X; artifact err: Y"): X is the pull's failure.
 */
function decisiveSegments(text: string): string[] {
  const out: string[] = [];
  const mirrors = text.indexOf("(Mirrors also failed: ");
  if (mirrors >= 0) {
    const close = text.indexOf("]): ", mirrors);
    if (close > mirrors) out.push(text.slice(0, mirrors) + text.slice(close + 4));
  }
  const artifact = /pull image err: /i.exec(text);
  if (artifact !== null) {
    const end = text.indexOf("; artifact err: ", artifact.index);
    if (end > artifact.index) out.push(text.slice(0, end));
  }
  out.push(text);
  return out;
}

function prepare(message: unknown): string {
  const text = typeof message === "string" ? message : message === undefined || message === null ? "" : String(message);
  if (text.length <= MAX_MESSAGE_CHARS) return text;
  const half = MAX_MESSAGE_CHARS / 2;
  return `${text.slice(0, half)} … ${text.slice(-half)}`;
}

/**
 * The form rules are written against: `clean` text without the gRPC wrappers and kubelet's
 * event prefix, which name no cause.
 */
export function normalizeMessage(text: string): string {
  return stripWrappers(clean(text));
}

/**
 * Quotes unescaped (kubelet logs print `\"`, pasted events bring typographic quotes) and
 * whitespace in one run (containerd 2.x joins registry errors with newlines, terminals wrap).
 */
function clean(text: string): string {
  return unescapeQuotes(text)
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/\s+/g, " ")
    .trim();
}

function stripWrappers(text: string): string {
  return text
    .replace(/rpc error: code = \w{1,32} desc = /gi, "")
    .replace(/Failed to pull image "[^"]{0,1024}": /gi, "")
    .trim();
}

/**
 * Drops runs of backslashes in front of a quote. A loop rather than /\\+"/g: that pattern
 * rescans a long run of backslashes from every position when no quote follows, which is
 * quadratic on hostile input.
 */
function unescapeQuotes(text: string): string {
  if (!text.includes("\\")) return text;
  let out = "";
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch !== "\\") {
      out += ch;
      i++;
      continue;
    }
    let j = i;
    while (j < text.length && text.charAt(j) === "\\") j++;
    if (text.charAt(j) !== '"') out += text.slice(i, j);
    i = j;
  }
  return out;
}

interface Match {
  rule: MessageRule;
  /** Where it matched, as a fraction of the text: later means more inner in a Go error chain. */
  depth: number;
  order: number;
}

function bestRule(cleaned: string, normalized: string, signals: ChainSignals): MessageRule | undefined {
  if (cleaned === "") return undefined;
  let best: Match | undefined;
  MESSAGE_RULES.forEach((rule, order) => {
    if (rule.credentials !== undefined && rule.credentials !== signals.credentials) return;
    // The wrapper-free text first; the cleaned one still has the gRPC codes that wrapper rules read.
    const m = rule.pattern.exec(normalized) ?? (cleaned === normalized ? null : rule.pattern.exec(cleaned));
    if (m === null) return;
    const text = m.input;
    const candidate: Match = { rule, depth: text.length === 0 ? 0 : m.index / text.length, order };
    if (best === undefined || better(candidate, best)) best = candidate;
  });
  return best?.rule;
}

function better(a: Match, b: Match): boolean {
  if (a.rule.priority !== b.rule.priority) return a.rule.priority > b.rule.priority;
  if (a.depth !== b.depth) return a.depth > b.depth;
  return a.order < b.order;
}
