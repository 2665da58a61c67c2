/**
 * The LearningOpportunityDetector heuristics with their legacy constants (learning_suite.md §6.4):
 * case-insensitive substring tests on the lower-cased user input, scores built by repeated float
 * addition and capped at 1.0, then a weighted mean. Kept bit-for-bit so the stored scores match
 * what the legacy code would have computed.
 */

export const DETECTORS = ['explicit_correction', 'implicit_correction', 'positive_reinforcement', 'question_answer', 'complex_reasoning'] as const;
export type DetectorName = (typeof DETECTORS)[number];

export const DETECTOR_WEIGHTS: Readonly<Record<DetectorName, number>> = {
  explicit_correction: 0.3,
  implicit_correction: 0.2,
  positive_reinforcement: 0.15,
  question_answer: 0.15,
  complex_reasoning: 0.2,
};

const EXPLICIT = ['no,', 'incorrect', 'wrong', "that's not", 'actually', 'not true'];
// Legacy listed "what I meant" with a capital I, which can never match lower-cased input; the
// phrase is kept lower-cased here so it can (a documented fix).
const IMPLICIT = ['but', 'however', 'although', 'though', 'rather', 'instead', 'what i meant'];
const POSITIVE = ['yes,', 'correct', 'right', 'exactly', 'perfect', 'good job', 'well done'];
const QUESTION = ['?', 'what', 'how', 'why', 'when', 'where', 'who', 'which', 'can you', 'could you'];
const COMPLEX = ['explain', 'analyze', 'compare', 'evaluate', 'synthesize', 'why', 'how does'];

function words(s: string): number {
  return s.split(/\s+/).filter(Boolean).length;
}

function phraseScore(text: string, phrases: string[], each: number): number {
  let s = 0;
  for (const p of phrases) if (text.includes(p)) s += each;
  return s;
}

export function detectorScores(userInput: string, assistantResponse: string): Record<DetectorName, number> {
  const u = userInput.toLowerCase();
  let explicit = phraseScore(u, EXPLICIT, 0.3);
  let implicit = phraseScore(u, IMPLICIT, 0.2);
  if (words(userInput) > 10) implicit += 0.1;
  const positive = phraseScore(u, POSITIVE, 0.2);
  let qa = 0;
  if (QUESTION.some((q) => u.includes(q))) {
    const n = words(assistantResponse);
    qa = n > 50 ? 0.3 : n > 20 ? 0.2 : 0.1;
  }
  let complex = phraseScore(u, COMPLEX, 0.1);
  if (assistantResponse.split('\n\n').length > 2) complex += 0.2;
  if (assistantResponse.includes('```')) complex += 0.2;
  explicit = Math.min(explicit, 1.0);
  implicit = Math.min(implicit, 1.0);
  return {
    explicit_correction: explicit,
    implicit_correction: implicit,
    positive_reinforcement: Math.min(positive, 1.0),
    question_answer: Math.min(qa, 1.0),
    complex_reasoning: Math.min(complex, 1.0),
  };
}

export interface OpportunityScore {
  detectorScores: Record<DetectorName, number>;
  finalScore: number;
  category: DetectorName;
  /** The strongest single detector's score. */
  topScore: number;
}

export function scoreInteraction(userInput: string, assistantResponse: string): OpportunityScore {
  const scores = detectorScores(userInput, assistantResponse);
  let total = 0;
  let weightSum = 0;
  let category: DetectorName = DETECTORS[0];
  for (const d of DETECTORS) {
    total += scores[d] * DETECTOR_WEIGHTS[d];
    weightSum += DETECTOR_WEIGHTS[d];
    if (scores[d] > scores[category]) category = d;
  }
  return { detectorScores: scores, finalScore: weightSum > 0 ? total / weightSum : 0, category, topScore: scores[category] };
}

export interface QualifyOptions {
  /** Legacy threshold on the weighted mean (0.7). */
  threshold: number;
  /** A single detector this strong also qualifies (question_answer excepted). See contracts README. */
  categoryThreshold: number;
}

/**
 * Legacy compared only the weighted mean with 0.7, which a textbook correction (0.30) can never
 * reach. The mean rule stays; in addition one strong signal of a kind the detector was written for
 * (a correction, reinforcement or a reasoning request) qualifies on its own. Question/answer alone
 * never does: every long answer would become training data.
 */
export function qualifies(s: OpportunityScore, o: QualifyOptions): boolean {
  if (s.finalScore >= o.threshold) return true;
  return s.category !== 'question_answer' && s.topScore >= o.categoryThreshold;
}

const ALM_CORRECTION = ['no,', 'incorrect', 'wrong', "that's not", 'actually'];
const ALM_IMPLICIT = ['but', 'however', 'although', 'though'];
const ALM_POSITIVE = ['yes,', 'correct', 'right', 'exactly', 'perfect'];

/** ActiveLearningMonitor's high-value rule (learning_suite.md §7.4); returns the reason or undefined. */
export function highValueReason(userInput: string, assistantResponse: string): 'correction' | 'implicit_feedback' | 'positive_feedback' | undefined {
  const u = userInput.toLowerCase();
  if (ALM_CORRECTION.some((p) => u.includes(p))) return 'correction';
  if (userInput && assistantResponse && words(userInput) > 5 && ALM_IMPLICIT.some((p) => u.includes(p))) return 'implicit_feedback';
  if (ALM_POSITIVE.some((p) => u.includes(p))) return 'positive_feedback';
  return undefined;
}
