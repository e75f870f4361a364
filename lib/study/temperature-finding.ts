/** The temperature finding: corpus coverage rises and fidelity falls with sampling temperature, per source. */
import type { ResultsData, TrainedRun } from '../report/results';
import { minimumDetectableEffect } from './contrast';
import { finalize, type Finding, type StudySettings } from './findings';
import { slopeTest } from './slope';
import type { StudyContrast } from './verdict';

export const MEASURE_DIRECTIONS: Record<string, 1 | -1> = { coverage: 1, fidelity: -1 };

export function temperatureFinding(data: ResultsData, s: StudySettings): Finding {
  const alpha = 1 - s.level;
  const contrasts: StudyContrast[] = [];
  const sources = [...new Set(data.runs.filter((r) => !r.control).map((r) => r.source))];
  for (const source of sources) {
    // One point per corpus: (source, temperature, seed) — shared by every student trained on it.
    const corpora = new Map<string, TrainedRun>();
    for (const r of data.runs) if (r.source === source && !r.control && r.corpus) corpora.set(`${r.temperature}|${r.seed}`, r);
    for (const [measure, direction] of Object.entries(MEASURE_DIRECTIONS)) {
      const pts = [...corpora.values()].filter((r) => typeof r.corpus?.[measure] === 'number');
      if (pts.length === 0) continue;
      const t = slopeTest(
        pts.map((r) => r.temperature),
        pts.map((r) => r.corpus![measure]!),
        direction,
        s.level,
      );
      contrasts.push({
        name: `${source}: ${measure} ${direction > 0 ? 'rises' : 'falls'} with temperature`,
        student: null,
        role: 'claim',
        estimate: t.slope,
        ci: t.ci,
        unit: 'slope',
        margin: 0,
        direction,
        p: t.p,
        p_opposite: t.pOpposite,
        p_adjusted: null,
        p_opposite_adjusted: null,
        method: `OLS slope of the corpus measure on temperature over ${t.n} corpora, t test with ${t.df} df`,
        mde: t.p === null ? null : minimumDetectableEffect(t.se, t.df, alpha / 2),
        ...(t.note ? { note: t.note } : {}),
      });
    }
  }
  return finalize(
    'temperature',
    contrasts,
    alpha,
    "Per source, slopes of corpus coverage (share of the world's facts stated) and fidelity (share of stated facts that are true) against temperature; one-sided, Holm over the family. Gain by temperature is in the table (descriptive).",
    "no corpus has coverage/fidelity measures (they need a world with known facts, such as the miniature lab's)",
    'slope',
  );
}
