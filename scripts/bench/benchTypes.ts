/** One line of bench/results.json. `value` is null for a skipped case (the reason is in `note`). */
export interface BenchRow {
  name: string;
  metric: string;
  value: number | null;
  unit: string;
  baseline_name: string | null;
  baseline_value: number | null;
  /** value / baseline_value, when there is a baseline. */
  ratio: number | null;
  /** The figure's target as written in issue 9, e.g. "ratio >= 0.7", and whether it was met. */
  target?: string;
  met?: boolean;
  note?: string;
}

export interface BenchMachine {
  cpus: number;
  model: string;
  node: string;
  os: string;
  date: string;
  load_average_1m: { start: number; end: number };
}

export interface BenchResults {
  machine: BenchMachine;
  command: string;
  quick: boolean;
  cases: BenchRow[];
}
