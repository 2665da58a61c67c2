/**
 * UMRA session summary (memory_hub.md §2.5.2). `interactions` are newest first, as UMRA stores them.
 */
export interface UmraInteraction {
  timestamp: number;
  type: string;
  content: string;
  metadata?: Record<string, unknown>;
}

export interface UmraSummary {
  last_updated: number;
  code_context?: string;
  conversation_summary?: string;
  errors_encountered: Array<{ type: 'timeout' | 'connection' | 'permission' | 'other'; message: string }>;
}

const DOMAINS: Array<[RegExp, string]> = [
  [/database|sql|sqlite/i, 'database operations'],
  [/web|http|flask|api|route/i, 'web functionality'],
  [/concurrency|thread|async/i, 'concurrency features'],
];

function errorType(message: string): 'timeout' | 'connection' | 'permission' | 'other' {
  const m = message.toLowerCase();
  if (m.includes('timeout')) return 'timeout';
  if (m.includes('connection')) return 'connection';
  if (m.includes('permission')) return 'permission';
  return 'other';
}

export function buildUmraSummary(interactions: UmraInteraction[], now: number): UmraSummary {
  const summary: UmraSummary = { last_updated: now, errors_encountered: [] };
  const code = interactions.filter((i) => i.type === 'code').map((i) => i.content);
  if (code.length > 0) {
    const joined = code.join('\n');
    const domains = DOMAINS.filter(([re]) => re.test(joined)).map(([, name]) => name);
    let text = `Code Summary:\nTotal snippets: ${code.length}\n`;
    if (domains.length) text += `Detected domains: ${domains.join(', ')}\n`;
    summary.code_context = text;
  }
  const queries = interactions.filter((i) => i.type === 'user_query').map((i) => i.content);
  const responses = interactions.filter((i) => i.type === 'system_response').map((i) => i.content);
  if (queries.length > 0 || responses.length > 0) {
    let text = `Conversation Summary:\nTotal exchanges: ${queries.length}\n`;
    if (queries.length > 0) {
      text += '\nRecent exchanges:\n';
      for (let i = 0; i < Math.min(3, queries.length); i++) {
        text += `User: ${[...queries[i]!].slice(0, 100).join('')}...\n`;
        if (i < responses.length) text += `System: ${[...responses[i]!].slice(0, 100).join('')}...\n`;
      }
    }
    summary.conversation_summary = text;
  }
  for (const i of interactions) {
    if (i.type === 'error') summary.errors_encountered.push({ type: errorType(i.content), message: i.content });
  }
  return summary;
}
