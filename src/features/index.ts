/**
 * The built-in mobility features, in the order they see new calls.
 */
import type { Feature } from './feature.js';
import { SnrFeature, snrOptionsFromEnv } from './snr/index.js';
import { dvoFeatures } from './dvo/index.js';
import { MvaFeature } from './mva/index.js';
import { EfaFeature } from './efa/index.js';
import { ivrOptionsFromEnv } from './ivr/index.js';
import { DialogEventFeature } from './dialog-event/index.js';
import { MidCallFeature } from './mid-call/index.js';
import { IscFeature } from './isc/index.js';
import { AncFeature } from './anc/index.js';

export function builtinFeatures(): Feature[] {
  const efa = new EfaFeature(ivrOptionsFromEnv());
  // ISC's RASL forks to the user's other RDs (D-51) and park reversion (D-20) ring SNR forks: SNR builds them.
  const snr = new SnrFeature(snrOptionsFromEnv());
  const midCall = new MidCallFeature(snr);
  // EFA-04: `PIN # *84 …` sequences act on the user's call on exclusive hold.
  efa.setMidCallHandler(midCall.efaHandler);
  // Mid-call first: a desk's INVITE with Replaces (desk pickup) is its, whoever else might take the INVITE.
  // ISC after DVO: a mobile client's DVO INVITE is DVO's whatever number it names.
  return [midCall, ...dvoFeatures({ efa: efa.handler }), new IscFeature(snr), new AncFeature(), snr, new MvaFeature(ivrOptionsFromEnv()), efa, new DialogEventFeature()];
}

export type { Feature, FeatureContext, FeatureDecision, StartCallOptions } from './feature.js';
