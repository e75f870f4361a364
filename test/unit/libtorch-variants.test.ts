/**
 * Builds against other libtorches (scripts/libtorch-variant.js): the RESURFACE_NATIVE_ADDON override
 * that points the library and the CLI at one of them, and, for each variant built on this machine,
 * what its addon says about itself. A variant that was not built is skipped: `npm test` never needs
 * one (`npm run build:variant -- torch2-cpu` makes one; `npm run test:variants` runs parity on them).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { REPO_ROOT } from '../helpers/shared';

const require = createRequire(import.meta.url);
const variants = require('../../scripts/libtorch-variant.js') as {
  VARIANTS: Record<string, { cuda: boolean }>;
  parseArgs(argv: string[]): { names: string[]; test: boolean; tiers: string[] };
  variantAddon(name: string): string;
};

function doctorWith(addon: string) {
  const prior = process.env.RESURFACE_NATIVE_ADDON;
  process.env.RESURFACE_NATIVE_ADDON = addon;
  try {
    return runCli(['doctor', '--json'], 120_000);
  } finally {
    if (prior === undefined) delete process.env.RESURFACE_NATIVE_ADDON;
    else process.env.RESURFACE_NATIVE_ADDON = prior;
  }
}

describe('RESURFACE_NATIVE_ADDON', () => {
  it('loads the default build when unset, and doctor names the file', async () => {
    const r = await runCli(['doctor', '--json'], 120_000);
    expect(r.status).toBe(0);
    const info = JSON.parse(r.stdout) as { addon: string; cudaCompiled: boolean; torchVersion: string };
    expect(existsSync(info.addon)).toBe(true);
    expect(typeof info.cudaCompiled).toBe('boolean');
  });

  it('a missing file is ERR_NATIVE_LOAD naming the variable, not a dlopen trace', async () => {
    const r = await doctorWith(path.join(REPO_ROOT, 'no-such-dir', 'resurface.node'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error ERR_NATIVE_LOAD: the native addon \(RESURFACE_NATIVE_ADDON=.*no-such-dir/m);
    expect(r.stderr).toMatch(/unset RESURFACE_NATIVE_ADDON/);
  });
});

describe('scripts/libtorch-variant.js arguments', () => {
  it('expands all, keeps the default tier, rejects unknown variants and options', () => {
    expect(variants.parseArgs(['all']).names).toEqual(Object.keys(variants.VARIANTS));
    expect(variants.parseArgs(['torch2-cpu', '--test'])).toMatchObject({ names: ['torch2-cpu'], test: true, tiers: ['parity'] });
    expect(variants.parseArgs(['torch2-cuda', '--test', '--tiers', 'parity,unit']).tiers).toEqual(['parity', 'unit']);
    expect(() => variants.parseArgs(['torch3'])).toThrow(expect.objectContaining({ code: 'ERR_USAGE' }));
    expect(() => variants.parseArgs(['torch2-cpu', '--fast'])).toThrow(expect.objectContaining({ code: 'ERR_USAGE' }));
  });
});

describe.each(Object.entries(variants.VARIANTS))('the %s build', (name, variant) => {
  const addon = variants.variantAddon(name);
  it.skipIf(!existsSync(addon))(`reports libtorch 2.x, cudaCompiled=${variant.cuda}, and maps no system libtorch`, async () => {
    const r = await doctorWith(addon);
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout) as { addon: string; torchVersion: string; cudaCompiled: boolean; libraries: string[] };
    expect(info.addon).toBe(addon);
    expect(Number(info.torchVersion.split('.')[0])).toBeGreaterThanOrEqual(2);
    expect(info.cudaCompiled).toBe(variant.cuda);
    const torchLibs = info.libraries.filter((l) => /libtorch|libc10/.test(l));
    expect(torchLibs.length).toBeGreaterThan(0);
    for (const l of torchLibs) expect(l.startsWith(path.join(REPO_ROOT, '.cache', 'variants', name))).toBe(true);
  });
});
