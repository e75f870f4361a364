/**
 * The study's statistics: pre-specified contrasts per finding, a variance that includes seeds and
 * clustered items, Holm within each family, three verdicts, and the simulation that calibrates them.
 */
export { roleOf, ROLE_ORDER, type SourceRole } from './roles';
export { studentTable, type StudentTable, type Stratum } from './table';
export { clusterReplicates, testContrast, minimumDetectableEffect, type LinearContrast, type TestedContrast } from './contrast';
export { relativeDropTest, dropDesignLimit } from './relative-drop';
export { rankCorrelationTest, equivalenceMarginDetectable } from './rank-correlation';
export { slopeTest } from './slope';
export { adjustFamily, decide, type Verdict, type StudyContrast } from './verdict';
export {
  STUDY_DEFAULTS,
  studentStudies,
  cellsOf,
  utilityFinding,
  relationalFinding,
  decouplingFinding,
  proxiesFinding,
  proxyPoints,
  temperatureFinding,
  extractionRates,
  type Finding,
  type FindingId,
  type StudySettings,
  type StudentStudy,
  type ProxyPoints,
} from './findings';
export { studySettings, studyFindings } from './study';
