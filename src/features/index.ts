/**
 * The built-in mobility features, in the order they see new calls.
 */
import type { Feature } from './feature.js';

export function builtinFeatures(): Feature[] {
  return [];
}

export type { Feature, FeatureContext, FeatureDecision, StartCallOptions } from './feature.js';
