/** CSV (RFC 4180) for bulk export/import of one entity: one record per row, nested values as JSON cells. */
import type { z } from 'zod';
import { z as zod } from 'zod';
import { ApiError } from './errors.js';

type Rec = Record<string, unknown>;

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(records: readonly unknown[], columns?: readonly string[]): string {
  const cols = [...(columns ?? [])];
  for (const r of records) for (const k of Object.keys(r as Rec)) if (!cols.includes(k)) cols.push(k);
  const lines = [cols.map(cell).join(',')];
  for (const r of records) lines.push(cols.map((c) => cell((r as Rec)[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Rows of cells; quoted cells may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cur = '';
  let quoted = false;
  let i = 0;
  const s = text.replace(/^\uFEFF/, '');
  while (i < s.length) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          cur += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      cur += c;
      i++;
      continue;
    }
    if (c === '"' && cur === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(cur);
      cur = '';
      i++;
    } else if (c === '\r' || c === '\n') {
      row.push(cur);
      cur = '';
      rows.push(row);
      row = [];
      i += c === '\r' && s[i + 1] === '\n' ? 2 : 1;
    } else {
      cur += c;
      i++;
    }
  }
  if (quoted) throw new ApiError('invalid', 'csv: unterminated quoted cell');
  if (cur !== '' || row.length > 0) {
    row.push(cur);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** JSON types allowed per top-level property of a schema (unions merged). */
export function columnTypes(schema: z.ZodType): Record<string, Set<string>> {
  const js = zod.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Rec;
  const out: Record<string, Set<string>> = {};
  const typesOf = (p: Rec, acc: Set<string>): void => {
    if (typeof p.type === 'string') acc.add(p.type);
    if (Array.isArray(p.type)) for (const t of p.type) acc.add(String(t));
    if ('const' in p || Array.isArray(p.enum)) acc.add(typeof (p.const ?? (p.enum as unknown[])[0]));
    for (const k of ['anyOf', 'oneOf'] as const) if (Array.isArray(p[k])) for (const x of p[k] as Rec[]) typesOf(x, acc);
  };
  const visit = (s: Rec): void => {
    for (const [k, p] of Object.entries((s.properties ?? {}) as Record<string, Rec>)) typesOf(p, (out[k] ??= new Set()));
    for (const k of ['anyOf', 'oneOf'] as const) if (Array.isArray(s[k])) for (const x of s[k] as Rec[]) visit(x);
  };
  visit(js);
  return out;
}

/** CSV text → records typed by the entity's schema. Empty cells are left out; "null" is null where allowed. */
export function csvRecords(text: string, schema: z.ZodType, section: string): Rec[] {
  const rows = parseCsv(text);
  if (rows.length === 0) return [];
  const header = rows[0]!.map((h) => h.trim());
  const types = columnTypes(schema);
  for (const h of header) if (!(h in types)) throw new ApiError('invalid', `csv: ${h}: unknown column for ${section}`, [{ field: h, message: `unknown column for ${section}` }]);
  return rows.slice(1).map((r, i) => {
    const rec: Rec = {};
    header.forEach((h, j) => {
      const raw = r[j] ?? '';
      if (raw === '') return;
      const t = types[h]!;
      const at = `${section}[${i}].${h}`;
      if (raw === 'null' && t.has('null')) rec[h] = null;
      else if (t.has('boolean') && /^(true|false|yes|no|1|0)$/i.test(raw)) rec[h] = /^(true|yes|1)$/i.test(raw);
      else if ((t.has('integer') || t.has('number')) && /^-?\d+(\.\d+)?$/.test(raw)) rec[h] = Number(raw);
      else if ((t.has('object') || t.has('array')) && /^[[{]/.test(raw.trim())) {
        try {
          rec[h] = JSON.parse(raw);
        } catch {
          throw new ApiError('invalid', `${at}: not valid JSON`, [{ field: at, message: 'not valid JSON' }]);
        }
      } else rec[h] = raw;
    });
    return rec;
  });
}
