/** Files under `dataDir`: one SQLite file for provisioning, one for runtime state (written far more often). */
import { isAbsolute, join, resolve } from 'node:path';
import type { Config } from './schema.js';

export interface DataPaths {
  dataDir: string;
  directoryDb: string;
  stateDb: string;
}

/** Relative `dataDir` values are resolved against `cwd`. */
export function dataPaths(config: Pick<Config, 'dataDir'>, cwd: string = process.cwd()): DataPaths {
  const dataDir = isAbsolute(config.dataDir) ? config.dataDir : resolve(cwd, config.dataDir);
  return { dataDir, directoryDb: join(dataDir, 'directory.sqlite'), stateDb: join(dataDir, 'state.sqlite') };
}
