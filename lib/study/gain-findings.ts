/** The utility and relational findings: gains of source–student cells over the base, and differences between cells. */
import { testContrast, type TestedContrast } from './contrast';
import { cellContrast, cellsOf, finalize, fromT, T_METHOD, type Finding, type StudentStudy, type StudySettings } from './findings';
import type { SourceRole } from './roles';
import type { StudyContrast } from './verdict';

export function utilityFinding(studies: StudentStudy[], s: StudySettings): Finding {
  const alpha = 1 - s.level;
  const tested: Array<{ tc: TestedContrast; role: StudyContrast['role'] }> = [];
  for (const { table, reps } of studies)
    for (const cell of cellsOf(table))
      tested.push({
        tc: testContrast(
          table,
          reps,
          cellContrast(`gain ${table.student} ← ${cell.source} (${cell.role})`, table, cell.strata, 'base', 0),
          s.level,
        ),
        role: cell.role === 'self' ? 'claim' : 'secondary',
      });
  const m = tested.filter((x) => x.role === 'claim').length;
  return finalize(
    'utility',
    tested.map((x) => fromT(x.tc, x.role, alpha, m)),
    alpha,
    `Gain = cell accuracy (macro average over tasks, mean over temperatures and seeds) − the untrained student's, paired on items; ${T_METHOD}; one-sided, Holm over the family.`,
    'no student was trained on its own samples (no self pair)',
    'points',
  );
}

const RELATIONAL_PAIRS: Array<[SourceRole, SourceRole]> = [
  ['self', 'same-lineage'],
  ['same-lineage', 'cross-family'],
  ['self', 'cross-family'],
  ['same-lineage', 'different-recipe'],
];

export function relationalFinding(studies: StudentStudy[], s: StudySettings): Finding {
  const alpha = 1 - s.level;
  const tested: TestedContrast[] = [];
  for (const { table, reps } of studies) {
    const cells = cellsOf(table);
    for (const [ra, rb] of RELATIONAL_PAIRS)
      for (const a of cells.filter((c) => c.role === ra))
        for (const b of cells.filter((c) => c.role === rb))
          tested.push(
            testContrast(
              table,
              reps,
              cellContrast(`${table.student}: ${a.source} (${ra}) − ${b.source} (${rb})`, table, a.strata, b.strata, 0),
              s.level,
            ),
          );
  }
  return finalize(
    'relational',
    tested.map((tc) => fromT(tc, 'claim', alpha, tested.length)),
    alpha,
    `Differences of cell accuracies for the same student, paired on items; ${T_METHOD}; one-sided in the paper's order, Holm over the family.`,
    'no student has two sources of different roles (self, same-lineage, different-recipe, cross-family) to compare',
    'points',
  );
}
