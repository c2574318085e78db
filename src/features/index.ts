/**
 * The built-in mobility features, in the order they see new calls.
 */
import type { Feature } from './feature.js';
import { SnrFeature, snrOptionsFromEnv } from './snr/index.js';
import { dvoFeatures } from './dvo/index.js';

export function builtinFeatures(): Feature[] {
  return [...dvoFeatures(), new SnrFeature(snrOptionsFromEnv())];
}

export type { Feature, FeatureContext, FeatureDecision, StartCallOptions } from './feature.js';
