// Finds SQL text built with interpolated values (template `${…}` or `+` concatenation) in the
// sources, so a test can insist that every value reaches SQLite as a bound parameter (issue 10).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** One interpolated piece of SQL text that is not obviously a constant. */
export interface SqlInterpolation {
  file: string;
  line: number;
  /** Source text of the interpolated expression. */
  expr: string;
  /** The SQL text around it (first 120 characters). */
  sql: string;
}

// Upper-case SQL keywords: the code base writes SQL in capitals, prose in lower case.
const SQL_TEXT = /\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|REPLACE INTO|PRAGMA|CREATE TABLE|CREATE INDEX|DROP TABLE|ALTER TABLE|WHERE|ORDER BY|GROUP BY)\b/;
// Arrays whose pushed strings become WHERE clauses.
const CLAUSE_ARRAYS = /^(where|parts|clauses|conditions|conds|filters)$/;

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The initializer of a `const name = …` declared in this file (unique), if any. */
function constInitializer(name: string, sf: ts.SourceFile): ts.Expression | undefined {
  const inits: ts.Expression[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === name) {
      const isConst = ts.isVariableDeclarationList(n.parent) && (n.parent.flags & ts.NodeFlags.Const) !== 0;
      inits.push(isConst && n.initializer ? n.initializer : (undefined as never));
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return inits.length >= 1 && inits.every(Boolean) ? (inits.length === 1 ? inits[0] : undefined) : undefined;
}

/**
 * Whether an expression can only produce constant SQL text: literals, choices between them,
 * placeholder lists, `const`s of this file initialised with such, and joins of WHERE-clause
 * arrays (whose pushes are checked separately).
 */
function isConstant(e: ts.Expression, sf: ts.SourceFile, depth = 0): boolean {
  if (depth > 8) return false;
  const rec = (x: ts.Expression) => isConstant(x, sf, depth + 1);
  if (ts.isParenthesizedExpression(e)) return rec(e.expression);
  if (ts.isIdentifier(e)) {
    const init = constInitializer(e.text, sf);
    return init !== undefined && rec(init);
  }
  if (/^(\w+)\.join\((['"])[^'"]*\2\)$/.test(e.getText(sf)) && CLAUSE_ARRAYS.test(e.getText(sf).split('.')[0]!)) return true;
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isNumericLiteral(e)) return true;
  if (ts.isConditionalExpression(e)) return rec(e.whenTrue) && rec(e.whenFalse);
  if (ts.isTemplateExpression(e)) return e.templateSpans.every((s) => rec(s.expression));
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) return rec(e.left) && rec(e.right);
  // `ids.map(() => '?').join(',')`: a list of placeholders, one per bound value.
  if (/^[\w.]+\.map\(\(\)\s*=>\s*(['"])\?\1\)\.join\((['"])[^'"]*\2\)$/.test(e.getText(sf))) return true;
  return false;
}

function sqlTextOf(node: ts.TemplateExpression | ts.BinaryExpression, sf: ts.SourceFile): string {
  if (ts.isTemplateExpression(node)) return node.head.text + node.templateSpans.map((s) => ' ${…} ' + s.literal.text).join('');
  return node.getText(sf);
}

/** Every non-constant interpolation into SQL text under `roots` (paths relative to `repo`). */
export function findSqlInterpolations(repo: string, roots: string[] = ['src', 'agents']): SqlInterpolation[] {
  const found: SqlInterpolation[] = [];
  for (const file of roots.flatMap((r) => walk(join(repo, r)))) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    const rel = relative(repo, file);
    const add = (e: ts.Node, sql: string) =>
      found.push({ file: rel, line: sf.getLineAndCharacterOfPosition(e.getStart(sf)).line + 1, expr: e.getText(sf).replace(/\s+/g, ' '), sql: sql.replace(/\s+/g, ' ').slice(0, 120) });
    const visit = (node: ts.Node): void => {
      if (ts.isTemplateExpression(node)) {
        const text = sqlTextOf(node, sf);
        if (SQL_TEXT.test(text)) for (const span of node.templateSpans) if (!isConstant(span.expression, sf)) add(span.expression, text);
      } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
        const sides = [node.left, node.right];
        const sqlSide = sides.find((s) => (ts.isStringLiteral(s) || ts.isNoSubstitutionTemplateLiteral(s)) && SQL_TEXT.test(s.text));
        if (sqlSide) for (const s of sides) if (s !== sqlSide && !isConstant(s, sf)) add(s, sqlTextOf(node, sf));
      } else if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        node.expression.name.text === 'push' &&
        ts.isIdentifier(node.expression.expression) &&
        CLAUSE_ARRAYS.test(node.expression.expression.text)
      ) {
        // A WHERE-clause builder may only push constant condition text; values go into the args array.
        for (const a of node.arguments) if (!isConstant(a, sf)) add(a, `${node.expression.expression.text}.push(…)`);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return found;
}
