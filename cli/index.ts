export { main } from "./program.js";
export { terminalText } from "./render.js";
