import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../runtime/logger.js';
import { contentHash, type OpportunityStore } from '../store/OpportunityStore.js';
import { qualifies, scoreInteraction, type QualifyOptions } from './scoring.js';

export interface Interaction {
  user_input: string;
  assistant_response: string;
  [k: string]: unknown;
}

export interface DetectionResult {
  detector_scores: Record<string, number>;
  final_score: number;
  category: string;
  saved: boolean;
  duplicate: boolean;
  opportunity_id: string | null;
}

export interface DetectorOptions extends QualifyOptions {
  bufferSize: number;
}

/** Reads the exchange out of the shapes that arrive (stream messages, the integration test's names). */
export function toInteraction(msg: unknown): Interaction | undefined {
  if (typeof msg !== 'object' || msg === null) return undefined;
  const m = msg as Record<string, unknown>;
  const inner = typeof m.interaction === 'object' && m.interaction !== null ? (m.interaction as Record<string, unknown>) : m;
  const user = inner.user_input ?? inner.user_query ?? inner.user_correction;
  const assistant = inner.assistant_response ?? inner.agent_response ?? '';
  if (typeof user !== 'string' || typeof assistant !== 'string') return undefined;
  // The integration-test shape carries the correction separately; the correction is what the user said last.
  const userInput = typeof inner.user_correction === 'string' && inner.user_correction ? inner.user_correction : user;
  return { ...inner, user_input: userInput, assistant_response: assistant };
}

/**
 * LearningOpportunityDetector (learning_suite.md §6): a bounded buffer of interactions (oldest
 * dropped), analysed in order; qualifying, not-yet-seen exchanges are stored and handed to the
 * orchestrator in-process (legacy sent them over a REQ socket without an `action`).
 */
export class OpportunityDetector {
  readonly stats = { monitored_events: 0, processed_items: 0, valuable_opportunities: 0, duplicates: 0, dropped: 0 };
  private readonly buffer: { source: string; data: Interaction; timestamp: string }[] = [];
  private draining = false;
  private closed = false;

  constructor(
    private readonly store: OpportunityStore,
    private readonly opts: DetectorOptions,
    private readonly notify: (o: { opportunity_id: string; score: number; category: string }) => void,
    private readonly log: Logger,
  ) {}

  get bufferSize(): number {
    return this.buffer.length;
  }

  /** Stream path: queue for the analyser. Returns false when the message is not an interaction. */
  enqueue(source: string, msg: unknown): boolean {
    const it = toInteraction(msg);
    if (!it) return false;
    this.stats.monitored_events++;
    this.buffer.push({ source, data: it, timestamp: new Date().toISOString() });
    if (this.buffer.length > this.opts.bufferSize) {
      this.buffer.shift();
      this.stats.dropped++;
    }
    this.scheduleDrain();
    return true;
  }

  /** Request path: analyse now and return the outcome. */
  analyzeNow(source: string, it: Interaction): DetectionResult {
    this.stats.monitored_events++;
    return this.analyze(source, it, new Date().toISOString());
  }

  private scheduleDrain(): void {
    if (this.draining || this.closed) return;
    this.draining = true;
    setImmediate(() => {
      this.draining = false;
      // A slice per turn keeps the event loop free for health probes during a burst.
      for (let i = 0; i < 50 && this.buffer.length; i++) {
        const e = this.buffer.shift()!;
        try {
          this.analyze(e.source, e.data, e.timestamp);
        } catch (err) {
          this.log.warn({ err }, 'opportunity analysis failed');
        }
      }
      if (this.buffer.length) this.scheduleDrain();
    });
  }

  private analyze(source: string, it: Interaction, timestamp: string): DetectionResult {
    this.stats.processed_items++;
    const s = scoreInteraction(it.user_input, it.assistant_response);
    const result: DetectionResult = {
      detector_scores: s.detectorScores, final_score: s.finalScore, category: s.category, saved: false, duplicate: false, opportunity_id: null,
    };
    if (!qualifies(s, this.opts)) return result;
    const id = randomUUID();
    const saved = this.store.insert({
      id, category: s.category, score: s.finalScore, createdAt: new Date().toISOString(),
      interaction: { source, data: it, timestamp }, detectorScores: s.detectorScores, hash: contentHash(it.user_input, it.assistant_response),
    });
    if (!saved) {
      this.stats.duplicates++;
      result.duplicate = true;
      return result;
    }
    this.stats.valuable_opportunities++;
    result.saved = true;
    result.opportunity_id = id;
    try {
      this.notify({ opportunity_id: id, score: s.finalScore, category: s.category });
    } catch (err) {
      this.log.warn({ err, opportunity: id }, 'orchestrator rejected a new opportunity');
    }
    return result;
  }

  close(): void {
    this.closed = true;
    this.buffer.length = 0;
  }
}
