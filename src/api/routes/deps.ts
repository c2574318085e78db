/** What the route modules share. */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AccountStore } from '../auth/accounts.js';
import type { LoginThrottle } from '../auth/guard.js';
import type { CallFeatureLookup, LiveCall } from '../live-calls.js';
import type { Routes } from '../route.js';
import type { ProvisioningService } from '../service.js';

export interface RouteDeps {
  svc: ProvisioningService;
  accounts: AccountStore;
  routes: Routes;
  log: Logger;
  throttle: LoginThrottle;
  calls: ReadonlyMap<string, LiveCall> | undefined;
  /** Live calls that are not in `calls` (features' own, e.g. conferences), listed with them. */
  otherCalls: (() => Iterable<LiveCall>) | undefined;
  /** The feature (anchored origin) of a live call, for the live calls view. */
  callFeature: CallFeatureLookup | undefined;
  /** Recent call records (GEN-07), most recent first. */
  callRecords: ((limit: number) => readonly object[]) | undefined;
  /** Where HTTP backups are written before download. */
  dataDir: string | undefined;
  /** Interval of the live-calls event stream. */
  callsStreamIntervalMs: number;
  /** Open event streams, ended when the server closes (they would hold it open). */
  streams: Set<ServerResponse>;
}
