/**
 * Debian's headless Chromium for the report test, driven by playwright-core (no browser download):
 * installed with apt when absent and we are root; otherwise the reason it cannot be.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export function ensureChromium(): string | null {
  if (fs.existsSync(CHROMIUM)) return null;
  if (process.platform !== 'linux') return 'Debian chromium is Linux only';
  if (process.getuid?.() !== 0) return 'chromium is not installed and installing it needs root';
  if (!fs.existsSync('/usr/bin/apt-get')) return 'chromium is not installed and there is no apt-get to install it';
  try {
    // a fresh machine may have no package lists yet: update once and retry
    try {
      execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        stdio: 'pipe',
        timeout: 900_000,
      });
    } catch {
      execFileSync('apt-get', ['update'], { stdio: 'pipe', timeout: 300_000 });
      execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        stdio: 'pipe',
        timeout: 900_000,
      });
    }
  } catch (e) {
    return `apt-get install chromium failed: ${String((e as { stderr?: Buffer }).stderr ?? e).slice(-300)}`;
  }
  return fs.existsSync(CHROMIUM) ? null : 'chromium installed but /usr/bin/chromium is missing';
}

/** A fresh profile, every network request but file:// refused: the page must work offline. */
export async function launchOffline(viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'resurface-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  await context.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
