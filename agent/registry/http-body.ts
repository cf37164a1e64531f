/**
 * Reading response bodies with a size bound and decoding them. A registry (or whatever answers
 * in its place: a proxy, a captive portal) can send anything, so every decoder here either
 * returns a checked value or throws `MalformedResponse` naming what was wrong.
 */

import type { Readable } from "node:stream";
import type { RegistryErrorBody } from "./errors.js";
import { describeIssues, type Infer, type Shape, shape } from "./json-shape.js";

/** Thrown by decoders; the exchange layer turns it into a RegistryError of kind "protocol". */
export class MalformedResponse extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = "MalformedResponse";
  }
}

/** Reads the whole body, or throws MalformedResponse once it passes `limit` bytes (and stops reading). */
export async function readBodyLimited(body: Readable, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buf.length;
    if (size > limit) {
      body.destroy();
      throw new MalformedResponse(`${what} is larger than ${limit} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Reads at most `limit` bytes and drops the rest: for error bodies, where the start is all we show. */
export async function readBodyPrefix(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    chunks.push(buf.subarray(0, Math.max(0, limit - size)));
    size += buf.length;
    if (size >= limit) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks);
}

export function parseJsonBody<S extends Shape<unknown>>(schema: S, raw: Buffer, what: string): Infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new MalformedResponse(`${what} is not JSON (${why}; starts with ${preview(raw)})`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new MalformedResponse(`${what} has an unexpected shape: ${describeIssues(parsed.issues)}`);
  return parsed.data as Infer<S>;
}

/** A short, printable view of a body for messages: control bytes escaped, long bodies cut. */
function preview(raw: Buffer, max = 60): string {
  const text = raw.subarray(0, max * 4).toString("utf8");
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}

const registryErrors = shape.object({
  errors: shape.array(
    shape.object({
      code: shape.string(),
      message: shape.string().optional(),
      detail: shape.unknown().optional(),
    }),
  ),
});
// Token servers speak OAuth2 (`error`, `error_description`) or, like Docker Hub's, `{"details": …}`.
const oauthError = shape.object({ error: shape.string(), error_description: shape.string().optional() });
const freeTextError = shape.object({ details: shape.string() }).or(shape.object({ message: shape.string() }));

/**
 * Registry error JSON (`{"errors":[{code,message,detail}]}`) and the shapes token servers use.
 * Anything else yields no errors and, when it is text, the start of it for evidence.
 */
export function decodeErrorBody(raw: Buffer): { errors: RegistryErrorBody[]; text: string | undefined } {
  if (raw.length === 0) return { errors: [], text: undefined };
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch {
    return { errors: [], text: printableText(raw) };
  }
  const registry = registryErrors.safeParse(value);
  if (registry.success) {
    return {
      errors: registry.data.errors.map((e) => {
        const out: RegistryErrorBody = { code: e.code, message: e.message ?? "" };
        if (e.detail !== undefined) out.detail = e.detail;
        return out;
      }),
      text: undefined,
    };
  }
  const oauth = oauthError.safeParse(value);
  if (oauth.success) return { errors: [{ code: oauth.data.error, message: oauth.data.error_description ?? "" }], text: undefined };
  const free = freeTextError.safeParse(value);
  if (free.success) {
    const message = "details" in free.data ? free.data.details : free.data.message;
    return { errors: [{ code: "", message }], text: undefined };
  }
  return { errors: [], text: printableText(raw) };
}

function printableText(raw: Buffer): string | undefined {
  const text = raw.subarray(0, 2048).toString("utf8").replace(/\s+/g, " ").trim();
  if (text === "") return undefined;
  // Binary junk is not evidence anyone can read.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what marks a body as binary
  if (/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text)) return undefined;
  return text.length > 512 ? `${text.slice(0, 512)}…` : text;
}
