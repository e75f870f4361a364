/** All five findings of a results table, in the paper's order. */
import type { ResultsData } from '../report/results';
import { decouplingFinding } from './decoupling';
import { STUDY_DEFAULTS, studentStudies, type Finding, type StudentStudy, type StudySettings } from './findings';
import { relationalFinding, utilityFinding } from './gain-findings';
import { proxiesFinding, proxyPoints } from './proxies-finding';
import { temperatureFinding } from './temperature-finding';

export function studySettings(data: ResultsData): StudySettings {
  const st = data.statistics;
  return {
    level: st.level,
    resamples: st.resamples,
    seed: st.seed,
    nonInferiorityPoints: st.non_inferiority_points ?? STUDY_DEFAULTS.nonInferiorityPoints,
    proxyMargin: st.proxy_margin ?? STUDY_DEFAULTS.proxyMargin,
    extractionDrop: st.extraction_drop ?? STUDY_DEFAULTS.extractionDrop,
  };
}

export function studyFindings(
  data: ResultsData,
  settings = studySettings(data),
  studies: StudentStudy[] = studentStudies(data, settings),
): Finding[] {
  return [
    utilityFinding(studies, settings),
    relationalFinding(studies, settings),
    decouplingFinding(data, studies, settings),
    proxiesFinding(proxyPoints(data, studies), settings),
    temperatureFinding(data, settings),
  ];
}
