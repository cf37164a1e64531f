// What a route answers, and the problems that become an error answer naming them.

export interface Answer {
  status: number;
  type: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

const JSON_TYPE = "application/json; charset=utf-8";

/** A request the aggregator refuses: its status, a message naming the problem, and what else the body and headers carry. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  return jsonText(status, `${JSON.stringify(value)}\n`, headers);
}

/** A JSON body serialized already (the view thread's). */
export function jsonText(status: number, text: string, headers: Record<string, string> = {}): Answer {
  return { status, type: JSON_TYPE, body: text, headers };
}

export function plainText(status: number, body: string): Answer {
  return { status, type: "text/plain; charset=utf-8", body };
}
