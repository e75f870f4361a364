/** The proxies finding: each intrinsic proxy's rank correlation with the gain of its task, across corpora. */
import type { ResultsData } from '../report/results';
import { finalize, type Finding, type StudentStudy, type StudySettings } from './findings';
import { equivalenceMarginDetectable, rankCorrelationTest } from './rank-correlation';
import type { StudentTable } from './table';
import type { StudyContrast } from './verdict';

export interface ProxyPoints {
  student: string;
  proxy: string;
  /** The task whose gain the proxy is correlated with (null: the macro average over tasks). */
  task: string | null;
  points: Array<{ source: string; temperature: number; x: number; y: number }>;
}

/** Per student and proxy: one point per corpus (stratum: source × temperature), seeds averaged. */
export function proxyPoints(data: ResultsData, studies: StudentStudy[]): ProxyPoints[] {
  const names = [...new Set(data.runs.flatMap((r) => Object.keys(r.proxies)))].sort();
  const out: ProxyPoints[] = [];
  for (const { table } of studies) {
    for (const proxy of names) {
      const suffix = proxy.includes(':') ? proxy.slice(proxy.lastIndexOf(':') + 1) : null;
      const ti = suffix === null ? -1 : table.tasks.findIndex((t) => t.name === suffix);
      const tasks = ti >= 0 ? [ti] : table.tasks.map((_, i) => i);
      const points: ProxyPoints['points'] = [];
      table.strata.forEach((st, k) => {
        if (st.role === 'forgetting-control') return;
        const xs = st.runs.map((r) => r.proxies[proxy]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
        if (xs.length === 0) return;
        const tc = cellGain(table, k, tasks);
        points.push({ source: st.source, temperature: st.temperature, x: xs.reduce((a, b) => a + b, 0) / xs.length, y: tc });
      });
      out.push({ student: table.student, proxy, task: ti >= 0 ? suffix : null, points });
    }
  }
  return out;
}

function cellGain(t: StudentTable, k: number, tasks: number[]): number {
  const st = t.strata[k]!;
  let s = 0;
  for (const ti of tasks) {
    const n = t.tasks[ti]!.items;
    const b = t.base[ti]!.reduce((a, v) => a + v, 0) / n;
    const a = st.sums[ti]!.reduce((acc, run) => acc + run.reduce((x, v) => x + v, 0) / n, 0) / st.runs.length;
    s += a - b;
  }
  return s / tasks.length;
}

export function proxiesFinding(points: ProxyPoints[], s: StudySettings): Finding {
  const alpha = 1 - s.level;
  const contrasts: StudyContrast[] = points.map((pp) => {
    const r = rankCorrelationTest(
      pp.points.map((p) => p.x),
      pp.points.map((p) => p.y),
      pp.points.map((p) => p.source),
      s.proxyMargin,
      s.level,
    );
    const mde = equivalenceMarginDetectable(r.clusters, alpha / Math.max(1, points.length));
    return {
      name: `${pp.student}: ${pp.proxy} vs gain${pp.task ? ` on ${pp.task}` : ''}`,
      student: pp.student,
      role: 'claim',
      estimate: r.rho,
      ci: r.ci,
      unit: 'rho',
      margin: s.proxyMargin,
      direction: -1,
      p: r.p,
      p_opposite: r.pOpposite,
      p_adjusted: null,
      p_opposite_adjusted: null,
      method: `Spearman ρ over ${r.n} corpora; Fisher z interval with n_eff = ${r.clusters} source clusters (Bonett–Wright variance); equivalence by two one-sided tests`,
      mde: Number.isFinite(mde) ? mde : null,
      ...(r.note ? { note: r.note } : {}),
    };
  });
  return finalize(
    'proxies',
    contrasts,
    alpha,
    `Per student and proxy, Spearman ρ across corpora (source × temperature, seeds averaged) with the gain on the proxy's own task (the macro average for task-free proxies); cluster-aware Fisher z interval (n_eff = number of sources); "fail" means |ρ| < ${s.proxyMargin} shown by two one-sided tests; Holm over the family.`,
    'no proxies were computed',
    'rho',
  );
}
