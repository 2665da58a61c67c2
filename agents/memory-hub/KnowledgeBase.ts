import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import { errorReply } from '../../src/runtime/errors.js';
import { KnowledgeBaseContract as C } from '../../contracts/memory-hub/KnowledgeBase.js';
import { guarded, truthy } from '../../src/suites/memory-hub/conversation/replies.js';
import type { ConversationServices } from '../../src/suites/memory-hub/conversation/services.js';

/** KnowledgeBase (legacy 5715), intended process_request contract (memory_hub.md §2.3). */
export class KnowledgeBase extends Agent {
  readonly name = 'KnowledgeBase';
  override readonly legacyPort = 5715;
  override readonly legacyHealthPort = 6715;
  private requestCount = 0;

  constructor(private readonly s: ConversationServices) {
    super();
  }

  actions(): Record<string, ActionDefinition> {
    const kb = this.s.knowledge;
    const counted = <T>(fn: () => T): T => {
      this.requestCount++;
      return fn();
    };
    return {
      add_fact: defineAction({
        params: C.add_fact,
        description: 'Store a fact under a topic; returns its memory_id.',
        handler: (p) =>
          counted(() =>
            guarded('Exception adding fact', async () => {
              if (!truthy(p.topic) || !truthy(p.content)) return errorReply('Missing topic or content');
              const fact = await kb.add(p.topic!, p.content!);
              return { status: 'success', memory_id: fact.memory_id };
            }),
          ),
      }),
      get_fact: defineAction({
        params: C.get_fact,
        description: 'The fact for a topic: exact topic first, else the best search hit.',
        handler: (p) =>
          counted(() =>
            guarded('Exception getting fact', async () => {
              if (!truthy(p.topic)) return errorReply('Missing topic');
              const fact = await kb.findByTopic(p.topic!);
              if (!fact) return errorReply('Fact not found');
              return { status: 'success', fact };
            }),
          ),
      }),
      update_fact: defineAction({
        params: C.update_fact,
        description: 'Replace the content of a fact named by memory_id or topic.',
        handler: (p) =>
          counted(() =>
            guarded('Exception updating fact', async () => {
              if (!truthy(p.content) || (!truthy(p.memory_id) && !truthy(p.topic))) return errorReply('Missing required parameters');
              let id = p.memory_id || undefined;
              if (!id) {
                const found = await kb.findByTopic(p.topic!);
                if (!found) return errorReply('Fact not found');
                id = found.memory_id;
              }
              await kb.update(id, p.content!);
              return { status: 'success', message: 'Fact updated successfully' };
            }),
          ),
      }),
      search_facts: defineAction({
        params: C.search_facts,
        description: 'Hybrid (BM25 + embedding) search over facts.',
        handler: (p) =>
          counted(() =>
            guarded('Exception searching facts', async () => {
              if (!truthy(p.query)) return errorReply('query is required.');
              return { status: 'success', results: await kb.searchFacts(p.query!, p.limit || 10) };
            }),
          ),
      }),
      health_check: defineAction({
        params: C.health_check,
        description: 'Intended KnowledgeBase health reply.',
        handler: () => ({ status: 'success', healthy: true }),
      }),
    };
  }

  override health(): Record<string, unknown> {
    return { facts: this.s.knowledge.count(), request_count: this.requestCount };
  }
}
