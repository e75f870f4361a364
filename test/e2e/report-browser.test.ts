/**
 * report.html in a real browser (Debian's headless Chromium through playwright-core), offline:
 * every figure renders (an SVG with marks and a non-zero box) at its own size (not shrunk to fit,
 * so its text stays readable), directly after the table it illustrates; no console errors; the
 * page never scrolls sideways. A screenshot goes to the temp folder for a person to look at.
 * Skipped, with the reason, where Chromium cannot be installed (not root, no apt).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReportFromData } from '../../lib/report';
import { ensureChromium, launchOffline } from '../helpers/chromium';
import { handMadeResults } from '../helpers/results-fixture';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const unavailable = ensureChromium();
if (unavailable) console.warn(`report browser test skipped: ${unavailable}`);

interface FigureBox {
  caption: string;
  width: number;
  height: number;
  /** the width the SVG asks for */
  intrinsic: number;
  marks: number;
  /** the heading of the section the figure sits in, and whether that section has a table before it */
  section: string;
  tableBefore: boolean;
}

describe.skipIf(unavailable !== null)('report.html in headless Chromium', () => {
  const tmp = makeTmpDir('resurface-report-browser-');
  let browser: Awaited<ReturnType<typeof launchOffline>>;
  afterAll(async () => {
    await browser?.close();
    removeTmpDir(tmp);
  });
  beforeAll(async () => {
    // The lab's proxies figure has 36 panels with names like ngram2_bench_in_corpus:facts-exposed:
    // give the fixture as many, so the widest figure is the one a reader meets.
    const data = handMadeResults();
    for (const r of data.runs)
      for (let i = 0; i < 34; i++)
        r.proxies = {
          ...r.proxies,
          [`ngram${i % 3}_bench_in_corpus:facts-exposed-${i}`]: ((r.seed + 1) * (i + 3) * 0.137 + r.temperature) % 1,
        };
    await writeReportFromData(data, tmp);
    browser = await launchOffline();
  }, 120_000);

  it('renders every figure next to its table, offline, without errors or sideways scroll', async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    const blocked: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (r) => blocked.push(r.url()));
    await page.goto(`file://${path.join(tmp, 'report.html')}`, { waitUntil: 'load' });
    const shot = path.join(os.tmpdir(), 'resurface-report.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`report screenshot: ${shot}`);

    const { scrollWidth, innerWidth, figures } = await page.evaluate(() => {
      const figs = [...document.querySelectorAll('figure')].map((f) => {
        const svg = f.querySelector('svg')!;
        const box = svg.getBoundingClientRect();
        let h: Element | null = f.previousElementSibling;
        let tableBefore = false;
        while (h && h.tagName !== 'H2') {
          if (h.querySelector('table') || h.tagName === 'TABLE') tableBefore = true;
          h = h.previousElementSibling;
        }
        return {
          caption: f.querySelector('figcaption')?.textContent ?? '',
          width: box.width,
          height: box.height,
          intrinsic: svg.width.baseVal.value,
          marks: svg.querySelectorAll('[class^="mark-"] > *').length,
          section: h?.textContent ?? '',
          tableBefore,
        };
      });
      return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, figures: figs };
    });
    expect(errors).toEqual([]);
    expect(blocked).toEqual([]); // nothing to fetch: the figures are inlined
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    const captions = figures.map((f: FigureBox) => f.caption);
    expect(captions).toEqual(
      expect.arrayContaining([
        'Relational utility matrix',
        'Gain against temperature',
        'Capability against extraction',
        'Intrinsic proxies against gain',
      ]),
    );
    for (const f of figures as FigureBox[]) {
      expect(f.width, f.caption).toBeGreaterThan(50);
      expect(f.height, f.caption).toBeGreaterThan(50);
      expect(f.marks, f.caption).toBeGreaterThan(0);
      // drawn at the size it was laid out for: a figure wider than the page is shrunk and its text unreadable
      expect(f.width / f.intrinsic, f.caption).toBeGreaterThan(0.99);
      expect(f.tableBefore, `${f.caption} follows a table in its section '${f.section}'`).toBe(true);
    }
  });
});
