/** PythonRandom against CPython's own `random` module (/usr/bin/python3): same words, same samples. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PythonRandom } from '../../lib/util/python-random';

const PY = '/usr/bin/python3';
const python = (code: string): unknown => JSON.parse(execFileSync(PY, ['-c', code], { encoding: 'utf8' }));

describe('PythonRandom (MT19937 as CPython)', () => {
  it('getrandbits(32) and random() for several seeds equal CPython', () => {
    const seeds = [0, 1, 42, 1234, 2 ** 32 - 1, 2 ** 32 + 5, 2 ** 40 + 12345];
    const want = python(`import random,json
out=[]
for s in ${JSON.stringify(seeds)}:
    r=random.Random(s); w=[r.getrandbits(32) for _ in range(700)]; f=[r.random() for _ in range(5)]; b=[r.getrandbits(k) for k in range(0,33)]
    out.append([w,f,b])
print(json.dumps(out))`) as Array<[number[], number[], number[]]>;
    seeds.forEach((s, i) => {
      const r = new PythonRandom(s);
      const w = Array.from({ length: 700 }, () => r.getrandbits(32)); // crosses a state regeneration
      const f = Array.from({ length: 5 }, () => r.random());
      const b = Array.from({ length: 33 }, (_, k) => r.getrandbits(k));
      expect([w, f, b]).toEqual(want[i]);
    });
  });

  it("sample(population, k): both of CPython's branches (list pool and set), consecutive draws from one generator", () => {
    const cases: Array<[number, number]> = [
      [10, 3],
      [25, 25],
      [26, 5],
      [100, 8],
      [7473, 9],
      [1119, 26],
      [5, 0],
      [1, 1],
      [40, 21],
      [300, 6],
    ];
    const want = python(`import random,json
r=random.Random(1234); out=[]
for n,k in ${JSON.stringify(cases)}:
    out.append(r.sample(range(n), k))
print(json.dumps(out))`) as number[][];
    const r = new PythonRandom(1234);
    const got = cases.map(([n, k]) =>
      r.sample(
        Array.from({ length: n }, (_, i) => i),
        k,
      ),
    );
    expect(got).toEqual(want);
  });

  it('rejects k larger than the population', () => {
    expect(() => new PythonRandom(1).sample([1, 2], 3)).toThrow(/sample larger than population/);
  });
});
