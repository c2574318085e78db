/**
 * Moved to src/media/dtmf-events.ts (DTMF events are a media service of the server now);
 * re-exported so existing imports keep working.
 */
export { RtpengineDtmfEvents, parseDtmfLog, type DtmfLogEvent } from '../../media/dtmf-events.js';
