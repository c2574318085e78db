/**
 * The HTTP side: /healthz, /metrics, and, when the server passes its directory, the
 * provisioning REST API (/api/v1), its OpenAPI document and the web pages (see app.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';
import { createHttpApp, type HttpAppOptions } from './app.js';

export interface HttpOptions extends Omit<HttpAppOptions, 'metrics' | 'health' | 'localActor'> {
  host: string;
  port: number;
  metrics: Metrics;
  health: () => { ok: boolean; [k: string]: unknown };
}

export async function startHttp(o: HttpOptions): Promise<{ app: FastifyInstance; port: number }> {
  const { host, port: wanted, ...rest } = o;
  const { app } = await createHttpApp({ env: process.env, ...rest });
  await app.listen({ host, port: wanted });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : wanted;
  return { app, port };
}
