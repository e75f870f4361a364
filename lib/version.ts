/** The software version recorded in manifests, checkpoints and cache keys. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require('../package.json') as { name: string; version: string };
export const SOFTWARE = { name: pkg.name, version: pkg.version } as const;
