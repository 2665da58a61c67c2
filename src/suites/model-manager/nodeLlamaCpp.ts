/**
 * node-llama-cpp costs about a second of CPU to import and more to initialise, most of a suite's
 * start-up. ModelManagerSuite imports it here, on first use (a model load, a metadata read), so
 * the suite answers health before it is needed (issue 20). Types are imported statically as
 * usual: they cost nothing at run time.
 */
type NodeLlamaCpp = typeof import('node-llama-cpp');

let loading: Promise<NodeLlamaCpp> | undefined;

export function nodeLlamaCpp(): Promise<NodeLlamaCpp> {
  loading ??= import('node-llama-cpp');
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}
