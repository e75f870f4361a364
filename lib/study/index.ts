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
export { STUDY_DEFAULTS, studentStudies, cellsOf, type Finding, type FindingId, type StudySettings, type StudentStudy } from './findings';
export { utilityFinding, relationalFinding } from './gain-findings';
export { decouplingFinding, extractionRates } from './decoupling';
export { proxiesFinding, proxyPoints, type ProxyPoints } from './proxies-finding';
export { temperatureFinding } from './temperature-finding';
export { studySettings, studyFindings } from './study';
