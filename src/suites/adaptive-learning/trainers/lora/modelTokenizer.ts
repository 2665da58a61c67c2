// Tokenizes training data with the model's own vocabulary (node-llama-cpp, vocabulary only)
// and renders chat records with the chat template node-llama-cpp resolves for that model.
import { getLlama, resolveChatWrapper, type ChatHistoryItem, type Llama, type LlamaModel } from 'node-llama-cpp';
import type { DatasetTokenizer } from './dataset.js';

export interface ModelTokenizer extends DatasetTokenizer {
  dispose(): Promise<void>;
}

export async function openModelTokenizer(modelPath: string, opts: { llama?: Llama } = {}): Promise<ModelTokenizer> {
  process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD ??= 'true';
  const ownLlama = !opts.llama;
  const llama = opts.llama ?? (await getLlama({ gpu: false, build: 'never' }));
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath, vocabOnly: true });
  } catch (err) {
    if (ownLlama) await llama.dispose();
    throw err;
  }
  const wrapper = resolveChatWrapper(model);
  const toHistory = (messages: { role: string; content: string }[]): ChatHistoryItem[] =>
    messages.map((m) => (m.role === 'assistant' ? { type: 'model', response: [m.content] } : { type: m.role === 'system' ? 'system' : 'user', text: m.content }) as ChatHistoryItem);
  return {
    bos: model.tokens.bos ?? undefined,
    eos: model.tokens.eos ?? undefined,
    tokenize: (text) => Array.from(model.tokenize(text)),
    tokenizeChat: (messages) => {
      const { contextText } = wrapper.generateContextState({ chatHistory: toHistory(messages) });
      return Array.from(contextText.tokenize(model.tokenizer));
    },
    dispose: async () => {
      await model.dispose();
      if (ownLlama) await llama.dispose();
    },
  };
}
