/**
 * The HTTP side: /healthz and /metrics for now (the provisioning API and pages
 * come with their own routes).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';

export interface HttpOptions {
  host: string;
  port: number;
  metrics: Metrics;
  health: () => { ok: boolean; [k: string]: unknown };
}

export async function startHttp(o: HttpOptions): Promise<{ app: FastifyInstance; port: number }> {
  const app = Fastify({ logger: false });
  app.get('/healthz', async (_req, reply) => {
    const h = o.health();
    return reply.code(h.ok ? 200 : 503).send(h);
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await o.metrics.registry.metrics();
    return reply.type(o.metrics.registry.contentType).send(text);
  });
  await app.listen({ host: o.host, port: o.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : o.port;
  return { app, port };
}
