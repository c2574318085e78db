/**
 * Which remote destinations an SNR call forks to (spec SNR-02, ACL-03, ANC-04, DM-02, DM-06).
 * Pure: the feature gathers the records, this decides.
 */
import type { AccessList, EndUser, MobileClientDevice, RemoteDestination, RingSchedule } from '../../directory/types.js';
import { type CallingParty, accessAllows } from './acl.js';
import { inSchedule } from './schedule.js';

export type SkipReason =
  | 'mobilityDisabled'
  | 'snrDisabled'
  | 'schedule'
  | 'accessList'
  | 'dnd'
  | 'registeredVoip'
  | 'noCellularRadio'
  | 'callerRd'
  | 'notANumber'
  | 'unroutable'
  | 'trunkFull'
  | 'tooMany';

export interface RdCheck {
  rd: RemoteDestination;
  user: EndUser | undefined;
  /** DND ("call reject") of the RD profile or mobile client the RD belongs to. */
  parentDnd: boolean;
  /** DM-02 for an MI: 'voip' = its client is registered and rings over IP. */
  miMode: MiMode | undefined;
  /** The RD the call comes from (ANC-04), if the caller matched one. */
  callerRdId: string | undefined;
  party: CallingParty;
  at: Date;
  /** The RD's ring schedule; null = all the time; 'missing' = the referenced schedule is gone. */
  schedule: RingSchedule | null | 'missing';
  lists: (id: string) => AccessList | undefined;
  /** The owner's time zone (ring schedules). */
  timeZone: string;
}

/** undefined: fork to this RD; otherwise why not. */
export function skipReason(c: RdCheck): SkipReason | undefined {
  if (c.user === undefined || !c.user.enableMobility) return 'mobilityDisabled'; // SNR-02 (a)
  if (!c.rd.enableSnr) return 'snrDisabled'; // (b)
  if (c.callerRdId === c.rd.id) return 'callerRd'; // ANC-04
  if (c.miMode === 'voip') return 'registeredVoip'; // (e) DM-02
  if (c.parentDnd) return 'dnd'; // (d) DM-06
  // (c) ACL-03: outside the schedule the RD is not rung (D-13); inside, the policy decides.
  if (c.schedule === 'missing' || !inSchedule(c.schedule, c.at, c.timeZone)) return 'schedule';
  if (!accessAllows(c.rd.accessPolicy, c.lists, c.party)) return 'accessList';
  return undefined;
}

/**
 * DM-02 / DM-04 / D-24: how a mobile client takes inbound calls right now.
 * - 'unregistered': SNR forks to its MI like to any RD;
 * - 'voip': registered, inbound VoIP: rung over IP, no fork to the MI;
 * - 'snr': registered, DVO enabled and the client said inbound SNR: fork to the MI and do
 *   not ring the VoIP registration.
 * The client states its mode with `+mobility-inbound="voip"|"snr"` (D-24). The registrar keeps
 * only the Contact URI, so the parameter is read from the URI (`;mobility-inbound=snr` or
 * `;+mobility-inbound=snr`) where a client or a future registrar puts it.
 */
export type MiMode = 'unregistered' | 'voip' | 'snr';

export function miMode(device: Pick<MobileClientDevice, 'dvoEnabled'>, contacts: readonly string[]): MiMode {
  if (contacts.length === 0) return 'unregistered';
  const snr = contacts.some((c) => /[;?&]\+?mobility-inbound=(?:"|%22)?snr(?:"|%22)?(?:[;?&>]|$)/i.test(c));
  return snr && device.dvoEnabled ? 'snr' : 'voip';
}
