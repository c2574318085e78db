/** Deep merge of plain config objects: mappings merge key by key; lists and scalars replace. */

export type Plain = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Plain {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

export function deepMerge(base: unknown, layer: unknown): unknown {
  if (layer === undefined) return structuredClone(base);
  if (!isPlainObject(base) || !isPlainObject(layer)) return structuredClone(layer);
  const out: Plain = structuredClone(base);
  for (const [k, v] of Object.entries(layer)) {
    if (v === undefined) continue;
    out[k] = k in out ? deepMerge(out[k], v) : structuredClone(v);
  }
  return out;
}

/**
 * Merges one config layer onto the accumulated config. `media.rtpengine` (launch a local engine)
 * and `media.rtpengines` (external list) are alternatives: a layer that sets one drops the other
 * inherited from lower layers, so a file can switch to an external list without repeating defaults.
 */
export function mergeConfigLayer(base: unknown, layer: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(layer) && isPlainObject(layer.media) && isPlainObject(base.media)) {
    const lm = layer.media;
    const bm = { ...base.media };
    if ('rtpengines' in lm && !('rtpengine' in lm)) delete bm.rtpengine;
    if ('rtpengine' in lm && !('rtpengines' in lm)) delete bm.rtpengines;
    base = { ...base, media: bm };
  }
  return deepMerge(base, layer);
}
