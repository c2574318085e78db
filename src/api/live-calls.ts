/**
 * A read-only view of the server's live calls (`server.calls`) for the API and the live calls
 * page. Typed structurally so that the API does not depend on the B2BUA's classes: anything
 * with these fields (B2BCall, or a feature's own call objects) shows up.
 */
export interface DialogLike {
  callId: string;
  state: string;
  localUri: { toString(): string };
  remoteUri: { toString(): string };
}

export interface LiveCall {
  id: string;
  state: string;
  startedAt: number;
  connectedAt?: number | undefined;
  aDialog?: DialogLike | undefined;
  bDialog?: DialogLike | undefined;
  a?: { request: { get(name: string): string | undefined } };
  hangup?(by: 'a' | 'b' | 'server', why: string): void;
}

export interface LegView {
  leg: string;
  callId: string | null;
  from: string | null;
  to: string | null;
  state: string;
}

export interface CallView {
  id: string;
  state: string;
  /** The mobility feature handling the call (origin of spec §17.2), or "basic". */
  feature: string;
  startedAt: number;
  connectedAt: number | null;
  legs: LegView[];
}

/** A From/To value without its tag (the page shows who talks to whom, not dialog ids). */
function stripTag(v: string | { toString(): string } | undefined): string | null {
  if (v === undefined) return null;
  return v.toString().replace(/;\s*tag=[^;>]*/gi, '').trim();
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The feature (anchored call origin, §17.2) of a live call by its id, when a registry knows it. */
export type CallFeatureLookup = (callId: string) => string | undefined;

export function viewCall(c: LiveCall, featureOf?: CallFeatureLookup): CallView {
  const x = c as unknown as Record<string, unknown>;
  // The anchored-call registry knows the origin; features may also tag their calls; plain calls are "basic".
  const feature = featureOf?.(c.id) ?? str(x.feature) ?? str(x.origin) ?? str(x.label) ?? 'basic';
  const legs: LegView[] = [];
  if (c.aDialog) legs.push({ leg: 'A', callId: c.aDialog.callId, from: stripTag(c.aDialog.remoteUri), to: stripTag(c.aDialog.localUri), state: c.aDialog.state });
  // No A leg at all for a call that only has `legs` (a conference: its parties are its legs).
  else if (c.a !== undefined || !Array.isArray(x.legs)) legs.push({ leg: 'A', callId: c.id, from: stripTag(c.a?.request.get('from')), to: stripTag(c.a?.request.get('to')), state: c.state });
  if (c.bDialog) legs.push({ leg: 'B', callId: c.bDialog.callId, from: stripTag(c.bDialog.localUri), to: stripTag(c.bDialog.remoteUri), state: c.bDialog.state });
  // Extra legs of features (e.g. SNR forks, DVO CTRL) if they expose them as `legs`.
  const extra = x.legs;
  if (Array.isArray(extra)) {
    for (const l of extra as Record<string, unknown>[]) {
      legs.push({ leg: String(l.leg ?? l.role ?? '?'), callId: str(l.callId) ?? null, from: str(l.from) ?? null, to: str(l.to) ?? null, state: String(l.state ?? '') });
    }
  }
  return { id: c.id, state: c.state, feature, startedAt: c.startedAt, connectedAt: c.connectedAt ?? null, legs };
}

/** Every live call: the server's B2B calls and `others` (calls features run themselves, e.g. conferences). */
export function snapshot(calls: ReadonlyMap<string, LiveCall> | undefined, featureOf?: CallFeatureLookup, others: Iterable<LiveCall> = []): CallView[] {
  return [...(calls?.values() ?? []), ...others].map((c) => viewCall(c, featureOf)).sort((a, b) => a.startedAt - b.startedAt);
}

/** A live call by id among both. */
export function findLiveCall(calls: ReadonlyMap<string, LiveCall> | undefined, others: Iterable<LiveCall> | undefined, id: string): LiveCall | undefined {
  return calls?.get(id) ?? [...(others ?? [])].find((c) => c.id === id);
}
