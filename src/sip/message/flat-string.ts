/**
 * A string built by concatenation is, in V8, a tree of parts (a 32 B node per `+`) until
 * something reads it by index; then it is flattened in place. Values kept for a call's life
 * (a dialog's From/To, its key) are flattened once when stored: a From built from a few
 * parts otherwise costs ~250 B instead of ~80 B.
 */
export function flatString(s: string): string {
  // charCodeAt flattens a cons string in place (any indexed read does); cheap on a flat one.
  if (s.length > 0) s.charCodeAt(0);
  return s;
}
