/**
 * The web pages (web/): login, admin, self-care, live calls. Plain static files; every page
 * asks /api/v1/auth/session on load and goes to the login page when not logged in.
 */
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/** web/ at the repository root (from src/api/routes or dist/api/routes). */
export function defaultWebRoot(): string {
  return fileURLToPath(new URL('../../../web/', import.meta.url));
}

export function registerPages(app: FastifyInstance, webRoot: string): void {
  const root = resolve(webRoot);
  if (!existsSync(root)) return;
  app.get('/', (_req, reply) => reply.redirect('/ui/login.html'));
  app.get('/ui', (_req, reply) => reply.redirect('/ui/login.html'));
  app.get('/ui/', (_req, reply) => reply.redirect('/ui/login.html'));
  app.get('/ui/*', async (req, reply) => {
    const rel = decodeURIComponent((req.params as { '*': string })['*']);
    const file = resolve(join(root, rel));
    const type = TYPES[extname(file)];
    if (!file.startsWith(root + sep) || type === undefined) return reply.code(404).type('text/plain').send('not found');
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch {
      return reply.code(404).type('text/plain').send('not found');
    }
    return reply.type(type).header('cache-control', 'no-cache').send(data);
  });
}
