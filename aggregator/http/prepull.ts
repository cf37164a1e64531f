// POST /api/v1/prepull: a cluster pre-pull asked for over HTTP (a bearer token unless the
// aggregator runs without a token check): the body read within bounds, every problem named.

import type { IncomingMessage } from "node:http";
import { tryParseReference } from "../../core/image/index.js";
import type { Logger } from "../../core/log/index.js";
import type { DispatchResult } from "../prepull-commands.js";
import { type Answer, HttpProblem, json } from "./answer.js";

const MAX_BODY_BYTES = 64 * 1024;
const MAX_IMAGES = 100;

async function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpProblem(413, `body: ${declared} bytes, at most ${MAX_BODY_BYTES}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, `body: larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The images of a pre-pull request, every problem named; throws HttpProblem(400). */
function parsePrepullBody(text: string): string[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new HttpProblem(400, `body: not JSON (${err instanceof Error ? err.message : String(err)}); send {"images": ["nginx:1.27", …]}`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new HttpProblem(400, 'body: expected an object like {"images": ["nginx:1.27"]}');
  const unknown = Object.keys(body).filter((k) => k !== "images");
  const images = (body as { images?: unknown }).images;
  if (images === undefined) throw new HttpProblem(400, 'images: missing; send {"images": ["nginx:1.27", …]}');
  if (!Array.isArray(images)) throw new HttpProblem(400, "images: expected a list of image references");
  if (images.length === 0) throw new HttpProblem(400, "images: empty; name at least one image to pre-pull");
  if (images.length > MAX_IMAGES) throw new HttpProblem(400, `images: ${images.length} images, at most ${MAX_IMAGES} per command`);
  const problems: string[] = unknown.map((k) => `${k}: unknown field (only images is accepted)`);
  images.forEach((image: unknown, i) => {
    if (typeof image !== "string") {
      problems.push(`images[${i}]: expected a string, got ${image === null ? "null" : typeof image}`);
      return;
    }
    const ref = tryParseReference(image);
    if (ref instanceof Error) problems.push(`images[${i}]: ${ref.message}`);
  });
  if (problems.length)
    throw new HttpProblem(400, problems.length === 1 ? (problems[0] ?? "") : `${problems.length} problems: ${problems.join("; ")}`, { problems });
  return [...new Set(images as string[])];
}

/** Takes a pre-pull request (the token is checked before): plans, records and sends it, 202 with the plan. */
export async function acceptPrepull(req: IncomingMessage, prepull: (images: string[]) => Promise<DispatchResult>, log: Logger): Promise<Answer> {
  const type = req.headers["content-type"] ?? "";
  if (!/^application\/json\b/i.test(type))
    throw new HttpProblem(415, `content-type: expected application/json, got ${JSON.stringify(type.slice(0, 60)) || "none"}`);
  const images = parsePrepullBody(await readBody(req));
  const result = await prepull(images);
  log.info(
    `pre-pull ${result.id}: ${images.join(", ")} on ${result.plan.length} node(s)${result.skipped.length ? `, ${result.skipped.length} skipped (stale or disconnected)` : ""}`,
  );
  return json(202, {
    id: result.id,
    createdAt: new Date(result.createdMs).toISOString(),
    images: result.images,
    plan: result.plan.map((p) => ({ ...p, notBefore: new Date(p.notBeforeMs).toISOString() })),
    skipped: result.skipped,
    unsent: result.unsent,
    status: `/api/v1/commands/${encodeURIComponent(result.id)}`,
  });
}
