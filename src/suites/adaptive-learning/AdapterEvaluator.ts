import { readFileSync } from 'node:fs';
import type { Logger } from '../../runtime/logger.js';
import type { SqliteDatabase } from '../../stores/sqlite/openDatabase.js';
import { ZmqClient, ZmqTimeoutError } from '../../transport/ZmqClient.js';
import type { Job } from './store/JobStore.js';

/**
 * registered = the adapter measured better and stays servable in ModelManagerSuite (promoted);
 * rejected = not better, unregistered again (the base keeps serving); unavailable = the peer is not
 * configured, did not answer our first request, or lacks the API; failed = the peer answered but a
 * step went wrong (reason stored).
 */
export type EvaluationDecision = 'registered' | 'rejected' | 'unavailable' | 'failed';

export interface EvaluationRecord {
  job_id: string;
  model_id: string;
  adapter_path: string;
  metric: 'perplexity';
  before_value: number | null;
  after_value: number | null;
  improved: boolean | null;
  registered: boolean;
  decision: EvaluationDecision;
  details: Record<string, unknown>;
}

/** Most texts sent per evaluation; perplexity over more adds time, not insight. */
const MAX_TEXTS = 32;

type Reply = Record<string, unknown>;

/** The peer answered, but not with success. */
class PeerRefusal extends Error {
  constructor(step: string, reply: Reply) {
    super(`ModelManagerSuite ${step}: ${String(reply.message ?? reply.error ?? 'no reason given')}`);
  }
}

function perplexities(reply: Reply, ids: string[]): number[] {
  const results = (reply.results ?? []) as Array<{ model_id?: unknown; perplexity?: unknown }>;
  return ids.map((id) => {
    const v = results.find((r) => r.model_id === id)?.perplexity;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new PeerRefusal('evaluate', { message: `no perplexity for ${id}` });
    return v;
  });
}

/** A registry id ModelManagerSuite accepts (no path separators or control characters). */
function safeId(s: string): string {
  return s.replace(/[/\\\x00-\x1f]/g, '_').slice(-120);
}

/**
 * Closes the loop (issue 5): a finished GGUF LoRA adapter is registered with ModelManagerSuite on
 * top of its base model, the base and base+adapter are scored in one A/B `evaluate` (perplexity on
 * the job's held-out texts), and the adapter stays registered only when it lowers perplexity.
 * Requests sent (ModelManagerSuite namespaced API):
 *   models.register {model_id: "<base>+<job>", base_model_id, lora_adapters:[{path, scale:1}], source}
 *     (when ModelManagerSuite does not know the base id, the GGUF file the job trained on is
 *     registered instead: a temporary "<candidate>:base" without adapter and the candidate by path)
 *   evaluate {model_ids: [base, candidate], texts, prompts, max_tokens: 1, seed: 1}
 *   models.unregister {model_id, force: true}   (rejected candidate; the temporary base)
 * Each outcome and the decision are stored in adapter_evaluations; never a guessed figure.
 */
export class AdapterEvaluator {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly endpoint: () => string | undefined,
    private readonly timeouts: { evaluationMs: number; requestMs: number },
    private readonly log: Logger,
  ) {}

  /** Unregistering a loaded model waits for its in-flight work and the unload. */
  private get unloadMs(): number {
    return Math.max(this.timeouts.requestMs, 60_000);
  }

  /** Whether a finished job is one this evaluator can judge (a GGUF LoRA adapter). */
  applies(job: Job, adapterPath: string | undefined): adapterPath is string {
    return job.status === 'succeeded' && typeof adapterPath === 'string' && adapterPath.endsWith('.gguf');
  }

  async evaluate(job: Job, adapterPath: string): Promise<EvaluationRecord> {
    const rec: EvaluationRecord = {
      job_id: job.id, model_id: job.modelId, adapter_path: adapterPath, metric: 'perplexity', before_value: null, after_value: null,
      improved: null, registered: false, decision: 'unavailable', details: {},
    };
    const endpoint = this.endpoint();
    if (!endpoint) {
      rec.details.reason = 'no ModelManagerSuite endpoint is configured (peers.ModelManagerSuite)';
      return this.store(rec);
    }
    const file = job.spec?.holdoutPath ?? job.spec?.dataPath;
    rec.details.held_out = Boolean(job.spec?.holdoutPath);
    let texts: string[] = [];
    try {
      texts = file ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { text: string }).text).filter((t) => typeof t === 'string' && t.length > 0).slice(0, MAX_TEXTS) : [];
    } catch (err) {
      rec.details.data_error = (err as Error).message;
    }
    if (texts.length === 0) {
      rec.decision = 'failed';
      rec.details.reason = 'no evaluation texts';
      return this.store(rec);
    }
    rec.details.texts = texts.length;
    const client = new ZmqClient(endpoint, { timeoutMs: this.timeouts.requestMs });
    let answered = false;
    const ask = async (req: Reply, timeoutMs = this.timeouts.requestMs): Promise<Reply> => {
      const reply = (await client.request(req, { timeoutMs })) as Reply;
      answered = true;
      return reply;
    };
    const candidate = `${safeId(job.modelId)}+${safeId(job.id)}`;
    const source = `AdaptiveLearningSuite job ${job.id}`;
    const adapters = [{ path: adapterPath, scale: 1 }];
    let tempBase: string | undefined;
    let candidateRegistered = false;
    try {
      let baseRef = job.modelId;
      let reg = await ask({ action: 'models.register', model_id: candidate, base_model_id: job.modelId, lora_adapters: adapters, source });
      if (isUnknownAction(reg)) {
        rec.details.reason = `ModelManagerSuite has no models.register: ${String(reg.message)}`;
        return this.store(rec);
      }
      if (reg.status !== 'success' && reg.code === 'UNKNOWN_MODEL' && job.spec?.modelPath) {
        // ModelManagerSuite serves no model under this id: compare on the very file the job trained on.
        tempBase = `${candidate}:base`;
        const base = await ask({ action: 'models.register', model_id: tempBase, path: job.spec.modelPath, source: `${source} (reference)` });
        if (base.status !== 'success') throw new PeerRefusal('refused the base model file', base);
        baseRef = tempBase;
        rec.details.base_registered_by_path = job.spec.modelPath;
        reg = await ask({ action: 'models.register', model_id: candidate, path: job.spec.modelPath, lora_adapters: adapters, source });
      }
      if (reg.status !== 'success') throw new PeerRefusal('did not register the adapter', reg);
      candidateRegistered = true;
      rec.details.candidate = candidate;
      const ev = await ask(
        { action: 'evaluate', model_ids: [baseRef, candidate], texts, prompts: [texts[0]!.slice(0, 64)], max_tokens: 1, seed: 1 },
        this.timeouts.evaluationMs,
      );
      if (ev.status !== 'success') throw new PeerRefusal('evaluate failed', ev);
      [rec.before_value, rec.after_value] = perplexities(ev, [baseRef, candidate]);
      rec.details.evaluation_cycle_id = ev.cycle_id;
      rec.improved = rec.after_value < rec.before_value;
      if (rec.improved) {
        rec.registered = true;
        rec.decision = 'registered';
        rec.details.promoted = true;
        rec.details.registered_as = candidate;
      } else {
        rec.decision = 'rejected';
        rec.details.promoted = false;
        const un = await ask({ action: 'models.unregister', model_id: candidate, force: true }, this.unloadMs);
        candidateRegistered = un.status !== 'success';
        rec.details.unregistered = un.status === 'success';
        if (un.status !== 'success') rec.details.unregister_error = String(un.message ?? un.error);
      }
    } catch (err) {
      const unreachable = err instanceof ZmqTimeoutError && !answered;
      rec.decision = unreachable ? 'unavailable' : 'failed';
      rec.details.reason = unreachable ? `ModelManagerSuite at ${endpoint} did not answer: ${(err as Error).message}` : (err as Error).message;
      if (!unreachable && candidateRegistered && !rec.registered) {
        // Leave no half-judged model behind.
        const un = await ask({ action: 'models.unregister', model_id: candidate, force: true }, this.unloadMs).catch(() => undefined);
        rec.details.unregistered = un?.status === 'success';
      }
    } finally {
      if (tempBase && answered) {
        const un = await ask({ action: 'models.unregister', model_id: tempBase, force: true }, this.unloadMs).catch((e: Error): Reply => ({ status: 'error', message: e.message }));
        if (un.status !== 'success') rec.details.reference_cleanup_error = String(un.message ?? un.error);
      }
      client.close();
    }
    return this.store(rec);
  }

  private store(r: EvaluationRecord): EvaluationRecord {
    this.db
      .prepare(
        `INSERT INTO adapter_evaluations (job_id, model_id, adapter_path, metric, before_value, after_value, improved, registered, decision, details)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(r.job_id, r.model_id, r.adapter_path, r.metric, r.before_value, r.after_value, r.improved === null ? null : Number(r.improved),
        Number(r.registered), r.decision, JSON.stringify(r.details));
    this.log.info({ job: r.job_id, decision: r.decision, before: r.before_value, after: r.after_value }, 'adapter evaluated');
    return r;
  }

  list(jobId: string): unknown[] {
    return this.db.prepare('SELECT * FROM adapter_evaluations WHERE job_id = ? ORDER BY id').all(jobId);
  }
}

function isUnknownAction(reply: Reply): boolean {
  return reply.status === 'error' && /^Unknown action/.test(String(reply.message ?? reply.error ?? ''));
}
