// The bearer tokens agents (and POST /api/v1/prepull) present, read from a token file that
// Kubernetes may rewrite in place.

import { createHash, timingSafeEqual } from "node:crypto";
import { readTextFile } from "../../core/fs/index.js";
import { bearerToken } from "../../core/kube/index.js";
import { type Logger, rememberSecret } from "../../core/log/index.js";

export type TokenVerdict = { ok: true } | { ok: false; problem: string };

function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

function parseTokens(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/**
 * The placeholder token the manifests before the chart shipped with (REPLACE-WITH-…) is public: an
 * aggregator that accepted it would let anyone who read such a manifest report as any node or
 * trigger pre-pulls on every node. The chart renders no token (agents prove their node with their
 * own service-account token), but a Secret made from an old manifest may still hold it.
 */
const PLACEHOLDER_TOKEN = /^REPLACE-WITH-/;

/**
 * A token is the only thing between the network and every node's report and pre-pull: 16
 * characters is the least `openssl rand -hex 8` gives (64 bits, beyond guessing at any rate the
 * aggregator answers), and a token of 1 or 3 characters is a mistake, never a secret.
 */
const MIN_TOKEN_LENGTH = 16;
/** One token per line, and a few hundred of them at most; a larger file is not a token file. */
const TOKEN_FILE_MAX_BYTES = 64 * 1024;

function readTokenFile(path: string): Promise<string> {
  return readTextFile(path, { maxBytes: TOKEN_FILE_MAX_BYTES });
}

/** The first token too short to be a secret, by line, in words that never repeat it. */
function shortToken(text: string): string | undefined {
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.length >= MIN_TOKEN_LENGTH) continue;
    return `line ${i + 1}: a token must be at least ${MIN_TOKEN_LENGTH} characters (this one has ${line.length}); make one with openssl rand -hex 32`;
  }
  return undefined;
}

/**
 * The tokens of a token file (one per line; blank lines and # comments ignored), compared in
 * constant time. The file is re-read every `reloadMs`: Kubernetes updates a mounted Secret in
 * place, and a rotated token must work without a restart. A reload that finds the file
 * unreadable or empty keeps the tokens it had (a Secret update is never half-written, but a
 * mistake must not lock every agent out) and says so in the log.
 */
export class BearerTokens {
  private digests: Buffer[] = [];
  private text = "";
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly path: string,
    private readonly log: Logger,
  ) {}

  static async load(path: string, log: Logger, reloadMs = 30_000): Promise<BearerTokens> {
    const t = new BearerTokens(path, log);
    let text: string;
    try {
      text = await readTokenFile(path);
    } catch (err) {
      throw new Error(`cannot read the token file ${(err as Error).message}`);
    }
    if (parseTokens(text).some((token) => PLACEHOLDER_TOKEN.test(token))) {
      throw new Error(
        `the token file ${path} holds the placeholder token of an older pullmedic manifest (REPLACE-WITH-…), which anyone can read: replace it with a random token (openssl rand -hex 32) in the Secret`,
      );
    }
    const short = shortToken(text);
    if (short !== undefined) throw new Error(`the token file ${path}, ${short}`);
    if (!t.apply(text)) throw new Error(`the token file ${path} holds no token: write one bearer token per line`);
    t.timer = setInterval(() => void t.reload(), reloadMs);
    t.timer.unref();
    return t;
  }

  get count(): number {
    return this.digests.length;
  }

  /** Re-reads the file; true when the tokens changed. */
  async reload(): Promise<boolean> {
    let text: string;
    try {
      text = await readTokenFile(this.path);
    } catch (err) {
      this.log.warn(`cannot re-read the token file ${this.path}: ${(err as Error).message}; keeping the ${this.count} token(s) read before`);
      return false;
    }
    if (text === this.text) return false;
    const short = shortToken(text);
    if (short !== undefined) {
      this.log.warn(`the token file ${this.path}, ${short}; keeping the ${this.count} token(s) read before`);
      this.text = text;
      return false;
    }
    if (!this.apply(text)) {
      this.log.warn(`the token file ${this.path} now holds no token; keeping the ${this.count} token(s) read before`);
      this.text = text;
      return false;
    }
    this.log.info(`token file ${this.path} changed: ${this.count} token(s) accepted now`);
    return true;
  }

  private apply(text: string): boolean {
    const tokens = parseTokens(text).filter((token) => !PLACEHOLDER_TOKEN.test(token));
    if (tokens.length === 0) return false;
    this.text = text;
    this.digests = tokens.map(digest);
    for (const token of tokens) rememberSecret(token);
    return true;
  }

  /** Checks an `authorization` header or metadata value; the problem never repeats the token. */
  check(value: string | undefined): TokenVerdict {
    const bearer = bearerToken(value);
    if (!bearer.ok) return { ok: false, problem: `${bearer.problem} with a token from the aggregator's token file` };
    const presented = digest(bearer.token);
    let match = 0;
    // Every token is compared, matching or not, so the time taken does not say which one matched.
    for (const d of this.digests) match |= timingSafeEqual(presented, d) ? 1 : 0;
    return match
      ? { ok: true }
      : { ok: false, problem: "the bearer token is not one the aggregator accepts (wrong token, or it was rotated out of the token file)" };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
