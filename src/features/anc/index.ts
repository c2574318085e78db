export { AncFeature } from './anc-feature.js';
