import { JSON_OUTPUT, type JsonFlag } from "../options.js";
import type { Verb } from "../verb.js";

export const explain: Verb<[string], JsonFlag> = {
  name: "explain",
  summary: "name the cause of a runtime or kubelet pull error message, with the fix",
  description:
    "Name the cause of a runtime or kubelet pull error message, with the fix.\n\n" +
    "Knows the wording of containerd 1.x and 2.x, CRI-O, Docker and kubelet, with or without the\n" +
    "`rpc error: code = … desc =` wrapper. A message that decides nothing is `unknown`, never a guess.\n" +
    "Example: kubectl get events -n shop -o jsonpath='{.items[-1].message}' | pullmedic explain -",
  arguments: [{ syntax: "<message>", description: "the error text from kubectl describe / events, or - to read it from stdin" }],
  options: [JSON_OUTPUT],
  run: async ({ args: [message] }) => (await import("../explain.js")).explainVerb(message),
};
