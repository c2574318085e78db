/**
 * `npm start [-- --config FILE]`: load and validate the config, start the
 * server, drain on SIGINT/SIGTERM (new calls get 503, calls in setup finish).
 */
import { ConfigError, loadConfig } from './config/index.js';
import { startServer } from './server.js';

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i !== -1) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write('usage: mobility-anchor [--config FILE]\n  default config: config/default.yaml; env overrides: MA_SIP_HOST, MA_SIP_PORT, MA_HTTP_HOST, MA_HTTP_PORT, MA_DATA_DIR, MA_LOG_LEVEL, MA_RTPENGINE\n');
    return;
  }
  let config;
  try {
    config = loadConfig(argValue('--config'));
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const server = await startServer(config);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      server.log.warn({ signal }, 'second signal: closing now');
      void server.close().then(() => process.exit(1));
      return;
    }
    stopping = true;
    server.log.info({ signal, calls: server.calls.size }, 'draining: new calls get 503');
    void server.drain().then(() => {
      server.log.info('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // The server never dies on one bad packet; anything that escapes is logged, not fatal.
  process.on('uncaughtException', (e) => server.log.error({ err: e.stack }, 'uncaught exception'));
  process.on('unhandledRejection', (e) => server.log.error({ err: e instanceof Error ? e.stack : String(e) }, 'unhandled rejection'));
}

void main().catch((e: unknown) => {
  process.stderr.write(`failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
