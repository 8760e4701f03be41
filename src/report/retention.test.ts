import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyRetention, archiveDayEnd, reportRunStart, retainOutputs } from './retention.js';

const NOW = new Date('2026-11-23T12:00:00Z');

function tree(): { root: string; archive: string; reports: string } {
  const root = mkdtempSync(join(tmpdir(), 'mdlsync-retention-'));
  const archive = join(root, 'archive');
  const reports = join(root, 'reports');
  for (const day of ['2026-09-01', '2026-10-23', '2026-10-24', '2026-11-22', '2026-11-23']) {
    mkdirSync(join(archive, day), { recursive: true });
    writeFileSync(join(archive, day, `RUN__${day}.txt`), 'a|b\n');
  }
  // Not ours: never touched, however old they look.
  mkdirSync(join(archive, 'keep-me'));
  mkdirSync(join(archive, '2026-02-30'));
  mkdirSync(join(archive, '2026-09-01.bak'));
  writeFileSync(join(archive, '2026-09-02'), 'a file, not a folder');
  for (const run of ['20260901T080000000Z-aaaa', '20261024T110000000Z-bbbb', '20261024T130000000Z-cccc', '20261123T115959000Z-dddd']) {
    mkdirSync(join(reports, run), { recursive: true });
    writeFileSync(join(reports, run, 'summary.json'), '{}');
  }
  writeFileSync(join(reports, 'mdlsync.log'), '{}\n');
  mkdirSync(join(reports, 'notes'));
  mkdirSync(join(reports, '20260101T000000000Z'));
  return { root, archive, reports };
}

describe('retention names', () => {
  test('archive days and run ids carry their date; anything else is not aged', () => {
    expect(archiveDayEnd('2026-10-23')).toBe(Date.parse('2026-10-24T00:00:00Z'));
    expect(archiveDayEnd('2026-02-30')).toBeNull();
    expect(archiveDayEnd('2026-10-23x')).toBeNull();
    expect(reportRunStart('20261123T142501123Z-3f9a')).toBe(Date.parse('2026-11-23T14:25:01.123Z'));
    expect(reportRunStart('mdlsync.log')).toBeNull();
    expect(reportRunStart('20261123T142501123Z')).toBeNull();
    expect(reportRunStart('20261323T142501123Z-3f9a')).toBeNull();
  });
});

describe('applyRetention', () => {
  test('removes archive day folders and report folders older than N days, and nothing else', async () => {
    const t = tree();
    const res = await applyRetention({ archive: t.archive, reports: t.reports, archiveKeepDays: 30, reportsKeepDays: 30, now: NOW });
    expect(res.errors).toEqual([]);
    expect(res.removed.sort()).toEqual(
      [join(t.archive, '2026-09-01'), join(t.archive, '2026-10-23'), join(t.reports, '20260901T080000000Z-aaaa'), join(t.reports, '20261024T110000000Z-bbbb')].sort(),
    );
    expect(readdirSync(t.archive).sort()).toEqual(['2026-02-30', '2026-09-01.bak', '2026-09-02', '2026-10-24', '2026-11-22', '2026-11-23', 'keep-me']);
    expect(readdirSync(t.reports).sort()).toEqual(['20260101T000000000Z', '20261024T130000000Z-cccc', '20261123T115959000Z-dddd', 'mdlsync.log', 'notes']);
  });

  test('absent settings keep everything; each setting prunes only its own folder', async () => {
    const t = tree();
    expect((await applyRetention({ archive: t.archive, reports: t.reports, now: NOW })).removed).toEqual([]);
    const res = await applyRetention({ archive: t.archive, reports: t.reports, reportsKeepDays: 1, now: NOW });
    expect(res.removed.every((p) => p.startsWith(t.reports))).toBe(true);
    expect(existsSync(join(t.archive, '2026-09-01'))).toBe(true);
    expect(existsSync(join(t.reports, '20261123T115959000Z-dddd'))).toBe(true);
  });

  test("never the current run's report folder, nor today's archive folder", async () => {
    const t = tree();
    const far = new Date('2027-06-01T00:00:00Z');
    mkdirSync(join(t.archive, '2027-06-01'));
    await applyRetention({ archive: t.archive, reports: t.reports, archiveKeepDays: 1, reportsKeepDays: 1, runId: '20261024T130000000Z-cccc', now: far });
    expect(readdirSync(t.reports).sort()).toEqual(['20260101T000000000Z', '20261024T130000000Z-cccc', 'mdlsync.log', 'notes']);
    expect(existsSync(join(t.archive, '2027-06-01'))).toBe(true);
    expect(existsSync(join(t.archive, '2026-11-23'))).toBe(false);
  });

  test('a symbolic link named like a day is left alone, and so is its target', async () => {
    const t = tree();
    const target = join(t.root, 'elsewhere');
    mkdirSync(target);
    writeFileSync(join(target, 'precious.txt'), 'x');
    symlinkSync(target, join(t.archive, '2020-01-01'));
    await applyRetention({ archive: t.archive, reports: t.reports, archiveKeepDays: 30, now: NOW });
    expect(existsSync(join(t.archive, '2020-01-01'))).toBe(true);
    expect(existsSync(join(target, 'precious.txt'))).toBe(true);
  });

  test('missing folders are fine; retainOutputs logs what it removed', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mdlsync-retention-'));
    expect((await applyRetention({ archive: join(root, 'no'), reports: join(root, 'nope'), archiveKeepDays: 1, reportsKeepDays: 1 })).removed).toEqual([]);
    const t = tree();
    const lines: string[] = [];
    const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`WARN ${m}`) };
    await retainOutputs({ archive: t.archive, reports: t.reports, archiveKeepDays: 30, now: NOW }, log);
    expect(lines).toEqual([`retention: removed 2 old folder(s): ${join(t.archive, '2026-09-01')}, ${join(t.archive, '2026-10-23')}`]);
  });
});
