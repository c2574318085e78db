export { IscFeature } from './isc-feature.js';
