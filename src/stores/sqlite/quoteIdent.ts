/** A SQLite identifier (table or column name) in double quotes, with inner quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
