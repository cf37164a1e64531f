// Who may ask: the bearer token of a pre-pull, and, without a token check, the Host a request is
// addressed to.

import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { hostAndPort } from "../../core/net/index.js";
import type { BearerTokens } from "../ingest/index.js";
import type { AggregatorMetrics } from "../metrics.js";
import { HttpProblem } from "./answer.js";

/** Throws 401 unless the request carries an accepted bearer token. */
export function authorize(req: IncomingMessage, tokens: BearerTokens, metrics: AggregatorMetrics): void {
  const verdict = tokens.check(req.headers.authorization);
  if (!verdict.ok) {
    metrics.rejected("unauthenticated");
    throw new HttpProblem(401, verdict.problem, {}, { "WWW-Authenticate": 'Bearer realm="pullmedic"' });
  }
}

/**
 * Without a token check (allowUnauthenticated: the embedded one-machine mode) the API answers only
 * requests addressed to localhost or to an IP address. A web page can point a name of its own at
 * 127.0.0.1 (DNS rebinding) and so talk to the loopback aggregator as its own origin, reading the
 * cluster view and POSTing pre-pulls; the Host header it sends still carries its own name.
 */
export function checkHost(header: string | undefined): void {
  const host = (header ?? "").trim().toLowerCase();
  const name = hostAndPort(host, 0).host;
  // No Host at all is no browser (HTTP/1.0 tools).
  const ok = name === "" || name === "localhost" || name.endsWith(".localhost") || isIP(name) !== 0;
  if (!ok) {
    throw new HttpProblem(
      403,
      `host ${JSON.stringify(host.slice(0, 100))}: this aggregator runs without a token check, so it answers only requests addressed to localhost or an IP address (a page on another site could point its name here)`,
    );
  }
}
