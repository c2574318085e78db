/**
 * Turning SNR on and off (spec SNR-10..14): per RD (`enableSnr`) or for all of a user's RDs and
 * MIs at once. Changes go to the directory (persistent, SNR-14); a failed write throws, so the
 * caller (desk code, self-service API, MVA/EFA) can report it, and calls in progress are not
 * touched.
 */
import type { Directory } from '../../directory/directory.js';
import type { RemoteDestination } from '../../directory/types.js';

/** SNR is "on" for a user when at least one of their RDs/MIs has enableSnr. */
export function snrStatus(directory: Directory, userId: string): boolean {
  return directory.listRemoteDestinations(userId).some((rd) => rd.enableSnr);
}

/**
 * Set enableSnr on one RD of the user (`rdId`) or on all of them, in one transaction.
 * Returns the records changed. Throws (DirectoryError) if the RD is not the user's or the
 * write fails.
 */
export function setSnr(directory: Directory, userId: string, on: boolean, rdId?: string): RemoteDestination[] {
  return directory.transaction(() => {
    const rds = directory.listRemoteDestinations(userId).filter((rd) => rdId === undefined || rd.id === rdId);
    if (rdId !== undefined && rds.length === 0) throw new Error(`remote destination ${rdId} does not belong to user ${userId}`);
    return rds.filter((rd) => rd.enableSnr !== on).map((rd) => directory.remoteDestinations.update(rd.id, { enableSnr: on }).record);
  });
}
