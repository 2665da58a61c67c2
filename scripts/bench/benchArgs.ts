/** Every value given for a flag that may repeat (`--flag v` or `--flag=v`). */
export function argValues(args: string[], flag: string): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    if (a === flag && args[i + 1] !== undefined) out.push(args[i + 1]!);
    else if (a.startsWith(`${flag}=`)) out.push(a.slice(flag.length + 1));
  });
  return out;
}

/** The first value given for a flag (`--flag v` or `--flag=v`). */
export function argValue(args: string[], flag: string): string | undefined {
  return argValues(args, flag)[0];
}

/**
 * The names given with `--only` (`--only a,b` and `--only a --only b` alike), each matching case
 * ids by substring; empty means every case. A name that matches no case throws, listing the ids.
 */
export function onlyNames(args: string[], caseIds: readonly string[]): string[] {
  const names = argValues(args, '--only').flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  const unmatched = names.filter((n) => !caseIds.some((id) => id.includes(n)));
  if (unmatched.length) throw new Error(`--only: no case matches ${unmatched.join(', ')} (cases: ${caseIds.join(', ')})`);
  return names;
}
