// The CLI loads a command's module only when that command runs (lib/cli/main.ts COMMANDS): each
// key must be the command's own name, or `resurface NAME` would load the wrong module or none.
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../lib/cli/main';

describe('CLI command table', () => {
  for (const [name, load] of Object.entries(COMMANDS)) {
    it(`${name} names its module's command`, async () => {
      const m = (await load()) as { command: string; describe: string; handler: unknown };
      expect(m.command.split(' ')[0]).toBe(name);
      expect(typeof m.describe).toBe('string');
      expect(typeof m.handler).toBe('function');
    });
  }
});
