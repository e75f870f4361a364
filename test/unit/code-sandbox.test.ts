/**
 * Generated programs run contained: an infinite loop, a huge allocation, a fork loop, a write outside
 * the temporary directory and a network connection each fail (and are scored as failures), a correct
 * program passes, and nothing — processes, temporary directories — outlives the run.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram, runPrograms, sandboxCapabilities } from '../../lib/eval/code-sandbox';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const root = makeTmpDir('resurface-sandbox-');
const tmpRoot = path.join(root, 'exec');
fs.mkdirSync(tmpRoot);
const outside = path.join(root, 'escaped.txt');
afterAll(() => removeTmpDir(root));

const caps = sandboxCapabilities();
console.log(`[sandbox] ${caps.notes.join('; ')}`);

/** Processes whose command line names our temporary root (the sandboxed programs). */
function survivors(): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(tmpRoot));
}

describe('code execution sandbox', () => {
  it('contains hostile programs, scores them as failures, and leaks nothing', async () => {
    const programs = {
      correct: buildProgram('def add(a, b):\n', '    return a + b\n', 'def check(f):\n    assert f(2, 3) == 5\ncheck(add)'),
      wrong: buildProgram('def add(a, b):\n', '    return a * b\n', 'def check(f):\n    assert f(2, 3) == 5\ncheck(add)'),
      infiniteLoop: 'while True:\n    pass\n',
      hugeAllocation: 'x = bytearray(8 * 1024 ** 3)\nprint(len(x))\n',
      forkLoop:
        'import os, time\nkids = 0\nfor _ in range(64):\n    if os.fork() == 0:\n        time.sleep(60)\n        os._exit(0)\n    kids += 1\nprint(kids)\n',
      writeOutside: `open(${JSON.stringify(outside)}, "w").write("escaped")\n`,
      writeInside: 'open("scratch.txt", "w").write("ok")\nassert open("scratch.txt").read() == "ok"\n',
      network: 'import socket\ns = socket.create_connection(("1.1.1.1", 53), timeout=1)\n',
      env: 'import os\nassert not any(k.startswith("RESURFACE") or k == "HOME" for k in os.environ), dict(os.environ)\n',
    };
    const names = Object.keys(programs) as Array<keyof typeof programs>;
    const t0 = Date.now();
    const res = await runPrograms(
      names.map((n) => programs[n]),
      { timeoutMs: 1500, tmpRoot, concurrency: 3 },
    );
    const by = Object.fromEntries(names.map((n, i) => [n, res[i]!]));
    console.log(`[sandbox] ${names.length} programs in ${Date.now() - t0} ms: ${names.map((n) => `${n}=${by[n]!.status}`).join(' ')}`);
    expect(by.correct!.passed, by.correct!.stderr).toBe(true);
    expect(by.writeInside!.passed, by.writeInside!.stderr).toBe(true);
    expect(by.env!.passed, by.env!.stderr).toBe(true);
    expect(by.wrong!.status).toBe('failed');
    expect(by.wrong!.stderr).toMatch(/AssertionError/);
    expect(by.infiniteLoop!.status).toBe('timeout');
    expect(by.hugeAllocation!.status).toBe('failed');
    expect(by.hugeAllocation!.stderr).toMatch(/MemoryError/);
    expect(by.forkLoop!.passed, 'a fork loop must hit the process limit').toBe(false);
    expect(by.forkLoop!.stderr).toMatch(/BlockingIOError|Resource temporarily unavailable/);
    if (caps.landlock) {
      expect(by.writeOutside!.status).toBe('failed');
      expect(by.writeOutside!.stderr).toMatch(/PermissionError/);
      expect(fs.existsSync(outside)).toBe(false);
    }
    if (caps.namespaces) expect(by.network!.passed).toBe(false);
    // nothing outlives the run: no sandboxed process, no temporary directory
    await new Promise((r) => setTimeout(r, 200));
    expect(survivors()).toEqual([]);
    expect(fs.readdirSync(tmpRoot)).toEqual([]);
  }, 60_000);
});
