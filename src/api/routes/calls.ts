/** Live calls: a list, a server-sent-events stream for the live calls page, and hang-up. */
import { z } from 'zod';
import { ApiError } from '../errors.js';
import { findLiveCall, snapshot } from '../live-calls.js';
import type { RouteDeps } from './deps.js';

export function registerCallRoutes(d: RouteDeps): void {
  const { routes, svc } = d;

  routes.add({
    method: 'GET',
    url: '/api/v1/calls',
    summary: 'Active calls with their legs, feature and times (duration = now - connectedAt)',
    tag: 'calls',
    access: 'admin',
    handler: () => ({ now: Date.now(), calls: snapshot(d.calls, d.callFeature, d.otherCalls?.()) }),
  });

  routes.add({
    method: 'GET',
    url: '/api/v1/call-records',
    summary: 'Recent call records (GEN-07), most recent first: origin feature, FAR leg, user legs, times, result',
    tag: 'calls',
    access: 'admin',
    query: z.object({ limit: z.coerce.number().int().min(1).max(10_000).optional() }),
    handler: ({ query }) => ({ records: d.callRecords?.(query.limit ?? 100) ?? [] }),
  });

  routes.add({
    method: 'GET',
    url: '/api/v1/calls/stream',
    summary: 'Server-sent events: a "calls" event with the full list whenever it changes (and on connect)',
    tag: 'calls',
    access: 'admin',
    response: { description: 'text/event-stream', contentType: 'text/event-stream' },
    handler: ({ req, reply }) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let last = '';
      let lastSent = 0;
      const push = (): void => {
        const calls = snapshot(d.calls, d.callFeature, d.otherCalls?.());
        const key = JSON.stringify(calls);
        const now = Date.now();
        if (key !== last) {
          last = key;
          lastSent = now;
          res.write(`event: calls\ndata: ${JSON.stringify({ now, calls })}\n\n`);
        } else if (now - lastSent > 15_000) {
          lastSent = now;
          res.write(': keep-alive\n\n');
        }
      };
      res.write('retry: 2000\n\n');
      push();
      const timer = setInterval(push, d.callsStreamIntervalMs);
      d.streams.add(res);
      const stop = (): void => {
        clearInterval(timer);
        d.streams.delete(res);
      };
      req.raw.on('close', stop);
      res.on('close', stop);
      return reply;
    },
  });

  routes.add({
    method: 'DELETE',
    url: '/api/v1/calls/:id',
    summary: 'Hang up a call (BYE/CANCEL on every leg)',
    tag: 'calls',
    access: 'admin',
    status: 204,
    handler: ({ params, actor }) => {
      const call = findLiveCall(d.calls, d.otherCalls?.(), params.id!);
      if (!call || typeof call.hangup !== 'function') throw new ApiError('not_found', `call "${params.id}" not found`);
      svc.write(actor, { action: 'hangup', entity: 'calls', entityId: call.id }, () => undefined);
      call.hangup('server', `released by ${actor.username} via API`);
      return undefined;
    },
  });
}
