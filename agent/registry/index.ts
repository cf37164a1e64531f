export {
  ReferenceError,
  parseReference,
  tryParseReference,
  sameImageName,
  tagOrDefault,
  manifestReference,
} from "./reference.js";
export type { ImageReference } from "./reference.js";
