export { Directory, DIRECTORY_COMPONENT } from './directory.js';
export type { DirectoryOptions, DispatcherNumber } from './directory.js';
export { DirectoryError } from './errors.js';
export type { DirectoryErrorCode } from './errors.js';
export { DIRECTORY_MIGRATIONS } from './migrations.js';
export { runMigrations, schemaVersion } from './migrate.js';
export { openSqlite } from './db.js';
export { seedFixture, FIXTURE_INBOUND_RULES } from './fixture.js';
export type { Fixture, FixtureOptions } from './fixture.js';
export { DialPlan } from './dial-plan.js';
export type { DialPlanEntry, DialPlanCss, RouteMatch, RouteTarget } from './dial-plan.js';
export { compilePattern, matchPattern, validatePattern, literalPattern, PatternError } from './pattern.js';
export type { CompiledPattern, PatternMatch } from './pattern.js';
export { globalise, localise, applyNumberRules, validateNumberRules } from './numbers.js';
export type { NumberRule, NumberField } from './numbers.js';
export { extractCallingNumber, cleanCallingNumber } from './caller-id-source.js';
export type { CallerIdSource, CallerIdSourceInput } from './caller-id-source.js';
export {
  CallerIdIndex,
  numbersMatch,
  normaliseNumber,
  digitsOnly,
  uniqueMatch,
  checkRemoteDestinationNumber,
  varyingLengthWarning,
} from './caller-id-match.js';
export type { MatchMode, MatchOptions, LookupResult, NumberCheck } from './caller-id-match.js';
export { computeHa1 } from './secrets.js';
export { normaliseAor } from './repos/devices.js';
export { MAX_RDS_PER_USER } from './repos/remote-destinations.js';
export type { NewLine, LinePatch } from './repos/lines.js';
export type { NewEndUser, EndUserPatch } from './repos/users.js';
export type { NewDevice, NewDeskDevice, NewMobileClientDevice, DevicePatch } from './repos/devices.js';
export type { NewRemoteDestination, RemoteDestinationPatch } from './repos/remote-destinations.js';
export type { NewRdProfile, RdProfilePatch } from './repos/profiles.js';
export type { NewTrunk, TrunkPatch, TrunkAuthInput, TrunkRegistrationInput, NewRoutePattern } from './repos/trunks.js';
export type * from './types.js';
export { applyProvisioning, applyProvisioningFile, PROVISIONING_SECTIONS } from './provision.js';
export type { ProvisioningResult } from './provision.js';
