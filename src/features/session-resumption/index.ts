export { SessionResumption } from './session-resumption.js';
