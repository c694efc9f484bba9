// The rules every view applies to metric keys: the TypeScript mirror of nbrun/protocol/keys.py,
// which is where they are defined. Both sides run the same test vectors
// (tests/vectors/keys.json; here labextension/test/keys.test.ts), so neither can drift: change
// a rule there first, then here.
//
// - Flattening: history columns and chart keys are dotted ({"a": {"b": 1}} -> "a.b"). A dict
//   with "_type" is a media payload: a leaf, never flattened into metrics. An empty dict holds
//   no value and yields no key.
// - Sections: a key goes to the section named by the text before its last "/" ("a/b/c" ->
//   "a/b"); a key without "/" to the default section "" (which a view may name for display).
// - Metric globs: define_metric("val/*") applies to keys starting with "val/"; a definition of
//   the exact key wins over any glob (whole: the glob's fields are not merged in), and a longer
//   glob over a shorter one.

export const MEDIA_TYPE_KEY = "_type";

/** A JSON object (not an array, not null). */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** True for a media payload ({"_type": "image-file", ...}): a leaf in every view. */
export function isMedia(value: unknown): value is Record<string, unknown> {
  return isObject(value) && MEDIA_TYPE_KEY in value;
}

/** `values` with nested dicts as dotted keys (media payloads and other values whole), as
 * (key, value) pairs in order. */
export function flatten(values: Record<string, unknown>, prefix = ""): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [key, value] of Object.entries(values)) {
    const name = `${prefix}${key}`;
    if (isObject(value) && !(MEDIA_TYPE_KEY in value)) {
      out.push(...flatten(value, `${name}.`));
    } else {
      out.push([name, value]);
    }
  }
  return out;
}

/** The section a key is shown in: the text before its last "/" ("" for none). */
export function sectionOf(key: string): string {
  const cut = key.lastIndexOf("/");
  return cut < 0 ? "" : key.slice(0, cut);
}

export function isGlob(name: string): boolean {
  return name.endsWith("*");
}

/** Which of the defined metric `names` (exact names and "prefix*" globs) applies to `key`:
 * the exact name, else the longest matching glob, else null. */
export function matchingDefinition(names: Iterable<string>, key: string): string | null {
  let best: string | null = null;
  for (const name of names) {
    if (name === key && !isGlob(name)) {
      return name;
    }
    if (isGlob(name) && key.startsWith(name.slice(0, -1)) && (best === null || name.length > best.length)) {
      best = name;
    }
  }
  return best;
}
