import { ZmqClient } from '../../../transport/ZmqClient.js';
import type { Interaction } from '../opportunities/OpportunityDetector.js';

interface MemoryRow {
  memory_id?: string;
  content?: unknown;
  parent_id?: unknown;
  tags?: unknown;
  created_at?: unknown;
  metadata?: Record<string, unknown>;
}

/**
 * Reads the conversation turns MemoryHub stored and pairs each user turn with the assistant turn
 * that answered it (same session, next in time). Request: ContextManager's
 * `get_recent_interactions {limit, time_window}` (memory_hub.md §2.6); the role of a turn is
 * its first tag (MemoryHub tags interactions with the lower-cased role).
 */
export async function fetchMemoryExchanges(endpoint: string, opts: { limit: number; windowHours: number; timeoutMs: number }): Promise<{ turns: number; exchanges: Interaction[] }> {
  const client = new ZmqClient(endpoint, { timeoutMs: opts.timeoutMs });
  let reply: Record<string, unknown>;
  try {
    reply = (await client.request({ action: 'get_recent_interactions', target_agent: 'ContextManager', limit: opts.limit, time_window: opts.windowHours })) as Record<string, unknown>;
  } finally {
    client.close();
  }
  if (reply.status !== 'success' || !Array.isArray(reply.interactions)) {
    throw new Error(`MemoryHub did not return interactions: ${String(reply.message ?? reply.error ?? reply.status)}`);
  }
  const rows = [...(reply.interactions as MemoryRow[])].reverse(); // newest first → oldest first
  const bySession = new Map<string, MemoryRow[]>();
  for (const r of rows) {
    const sid = String(r.parent_id ?? '');
    if (!bySession.has(sid)) bySession.set(sid, []);
    bySession.get(sid)!.push(r);
  }
  const role = (r: MemoryRow) => String((Array.isArray(r.tags) ? r.tags[0] : undefined) ?? r.metadata?.role ?? '').toLowerCase();
  const exchanges: Interaction[] = [];
  for (const [session, turns] of bySession) {
    turns.sort((a, b) => Number(a.created_at ?? 0) - Number(b.created_at ?? 0));
    for (let i = 0; i + 1 < turns.length; i++) {
      const u = turns[i]!;
      const a = turns[i + 1]!;
      if (role(u) === 'user' && role(a) === 'assistant' && typeof u.content === 'string' && typeof a.content === 'string') {
        exchanges.push({ user_input: u.content, assistant_response: a.content, session_id: session, memory_ids: [u.memory_id, a.memory_id] });
        i++;
      }
    }
  }
  return { turns: rows.length, exchanges };
}
