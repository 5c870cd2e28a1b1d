/** Longest run of non-blank characters kept by clampText (a client's key can be any length). */
const MAX_WORD = 80;

/**
 * Makes text that may quote what a client sent (a key, a field path) safe to answer with: control characters
 * become `?`, and a run of over 80 non-blank characters is cut with `…`.
 */
export function clampText(text: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const visible = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return visible.replace(new RegExp(`\\S{${MAX_WORD + 1},}`, 'g'), (word) => `${word.slice(0, MAX_WORD)}…`);
}
