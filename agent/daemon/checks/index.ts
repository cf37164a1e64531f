// The agent's checks, in the order they are scheduled. A new check is one file beside these (see
// check.ts), one line here, and its result type in CheckResults (agent/report/findings.ts).
import type { CheckFactory } from "./context.js";
import { diskCheck } from "./disk.js";
import { imagesCheck } from "./images.js";
import { prepullCheck } from "./prepull.js";
import { probesCheck } from "./probes.js";
import { pruneCheck } from "./prune.js";
import { pullSecretsCheck } from "./pull-secrets.js";
import { pullsCheck } from "./pulls.js";
import { quotaCheck } from "./quota.js";

export const CHECKS: readonly CheckFactory[] = [diskCheck, imagesCheck, pruneCheck, prepullCheck, probesCheck, pullSecretsCheck, quotaCheck, pullsCheck];

export type { CheckContext, NodeFacts } from "./context.js";
export { CheckRecorder } from "./recorder.js";
