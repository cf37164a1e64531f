// Text that came from outside (registry bodies, image arguments, error messages) reaches a person's
// terminal only as text: control characters would let it recolour, retitle or overwrite what
// pullmedic printed (ESC sequences, CR back to the start of the line, BEL).

/** C0 controls except tab and newline, DEL, and the C1 controls (which some terminals obey too). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** `text` with every control character but newline and tab removed. */
export function stripControlCharacters(text: string): string {
  return text.replace(CONTROL, "");
}

/** JSON text whose C1 controls are written as \u escapes: JSON.stringify escapes C0 but leaves U+0080–U+009F raw. */
export function escapeC1InJson(json: string): string {
  return json.replace(/[\u0080-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
