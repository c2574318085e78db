export { createConference, parseRemoteAudio, ConferenceSdpError } from './conference.js';
export type { Conference, ConferenceOptions, AddedParticipant, ParticipantInfo } from './conference.js';
export { JitterBuffer } from './jitter-buffer.js';
export type { JitterStats } from './jitter-buffer.js';
export { decode, encode, decodeSample, encodeSample, SILENCE } from './g711.js';
export type { G711Law } from './g711.js';
