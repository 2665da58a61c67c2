import { basename } from 'node:path';
import { statSync } from 'node:fs';
import { highValueReason } from '../../suites/adaptive-learning/opportunities/scoring.js';
import { toInteraction } from '../../suites/adaptive-learning/opportunities/OpportunityDetector.js';
import { sha256 } from '../values.js';
import { RejectError, type SourceUnit } from '../types.js';
import { isObject, readJson, sectionUnit, type LegacyFile } from './jsonFile.js';

/**
 * ActiveLearningMonitor's `training_data/training_data_<YYYYmmdd_HHMMSS>.json` files
 * (learning_suite.md §7.3), one raw interaction each → active_learning_samples. All files of one
 * folder form one unit (one row per file), so a folder imports in one transaction.
 */
export const KIND = 'active-learning';
const NAME = /^training_data_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})\.json$/;

export const detect = (file: LegacyFile): boolean => NAME.test(basename(file.abs));

export function units(files: LegacyFile[], folderRel: string): SourceUnit[] {
  if (files.length === 0) return [];
  return [sectionUnit({ rel: folderRel, abs: folderRel }, {
    kind: KIND, part: 'training_data', suite: 'adaptive-learning', order: 40,
    rows: () =>
      files.map((f) => {
        const parsed = readJson(f);
        const m = NAME.exec(basename(f.abs))!;
        // The file name holds the local save time; it is read as UTC (the zone is not recorded).
        const created = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
        const when = Number.isNaN(created.getTime()) ? statSync(f.abs).mtime : created;
        return { key: f.rel, data: parsed.ok ? { interaction: parsed.value, created_at: when.toISOString() } : { broken: parsed.error, text: parsed.text } };
      }),
    mapping: {
      targetTable: 'active_learning_samples',
      naturalKey: ['id'],
      compare: ['id', 'interaction', 'reason', 'status', 'created_at'],
      jsonColumns: ['interaction'],
      toTarget: (row) => {
        if (typeof row.data.broken === 'string') throw new RejectError(`file is not valid JSON (${row.data.broken})`);
        const msg = row.data.interaction;
        if (!isObject(msg)) throw new RejectError('file does not hold an interaction object');
        const it = toInteraction(msg);
        const reason = it ? highValueReason(it.user_input, it.assistant_response) : undefined;
        return {
          id: `legacy-alm-${sha256(row.key).slice(0, 24)}`,
          interaction: JSON.stringify(msg),
          reason: reason ?? 'legacy_import',
          file_path: null,
          label: null,
          // The new monitor waits for a label on a correction that carries no corrected answer.
          status: reason === 'correction' && !(it && it.corrected_response) ? 'needs_label' : 'ready',
          job_id: null,
          content_hash: null,
          created_at: row.data.created_at,
        };
      },
    },
  })];
}
