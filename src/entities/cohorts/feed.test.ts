import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFeed } from '../../feed/index.js';
import { FeedFileError, type FeedItem } from '../../feed/types.js';
import type { CohortRecord } from './record.js';
import type { CohortMemberRecord } from '../cohort-members/record.js';

const dir = mkdtempSync(join(tmpdir(), 'mdlsync-cohort-feed-'));
let n = 0;
const file = (text: string): string => {
  const p = join(dir, `f${n++}.txt`);
  writeFileSync(p, text);
  return p;
};

async function read<R extends CohortRecord | CohortMemberRecord>(text: string, type?: 'cohorts' | 'cohort-members'): Promise<{ type: string; dialect: string; items: FeedItem<R>[] }> {
  const feed = await openFeed(file(text), type ? { type } : {});
  const items: FeedItem<R>[] = [];
  for await (const i of feed.items()) items.push(i as FeedItem<R>);
  return { type: feed.info.type, dialect: feed.info.dialect, items };
}

describe('cohort feeds', () => {
  it('reads MOODLE_ID (moodle_id, any case), never an unknown column; a value that is no Moodle id fails its row; cohort members take none', async () => {
    const r = await read<CohortRecord>('EXTERNAL_COHORT_KEY|NAME|DATA_SOURCE_KEY|MOODLE_ID\nY1|Year 1|SIS|7\nY2|Year 2|SIS|-7\n');
    expect(r).toMatchObject({ type: 'cohorts', dialect: 'sis' });
    expect(r.items[0].record).toEqual({ key: 'Y1', fields: { name: 'Year 1' }, dataSource: 'SIS', moodleId: 7 });
    expect(r.items[1].error).toMatchObject({ key: 'Y2', code: 'invalid-moodle-id', message: 'column MOODLE_ID has "-7", expected a positive whole number (a Moodle cohort id)' });
    const m = await read<CohortRecord>('idnumber,name,visible,MoodleID\nC1,One,1,9\n', 'cohorts');
    expect(m.items[0].record).toMatchObject({ key: 'C1', moodleId: 9 });
    await expect(read('EXTERNAL_COHORT_KEY|EXTERNAL_PERSON_KEY|MOODLE_ID\nY1|P1|7\n', 'cohort-members')).rejects.toThrow(/MOODLE_ID/);
  });

  it('reads the SIS dialect: key, name, description, context, visibility, status', async () => {
    const r = await read<CohortRecord>(
      'EXTERNAL_COHORT_KEY|NAME|DESCRIPTION|CONTEXT|VISIBLE|DATA_SOURCE_KEY|ROW_STATUS|ACTION\nY1|Year 1|First year|system|Y|SIS|enabled|add\nY2|Year 2||FAC|0|SIS||\nY3|Year 3||||||del\n',
    );
    expect(r).toMatchObject({ type: 'cohorts', dialect: 'sis' });
    expect(r.items.map((i) => i.record)).toEqual([
      { key: 'Y1', fields: { name: 'Year 1', description: 'First year', visible: true }, dataSource: 'SIS', rowStatus: 'enabled', command: 'store' },
      { key: 'Y2', fields: { name: 'Year 2', category: 'FAC', visible: false }, dataSource: 'SIS' },
      { key: 'Y3', fields: { name: 'Year 3' }, command: 'delete' },
    ]);
  });

  it('reads the Moodle dialect: idnumber, category idnumber or id, contextid 1', async () => {
    const a = await read<CohortRecord>('idnumber,name,description,category,visible\nC1,One,,FAC,1\n');
    expect(a).toMatchObject({ type: 'cohorts', dialect: 'moodle' });
    expect(a.items[0].record).toEqual({ key: 'C1', fields: { name: 'One', category: 'FAC', visible: true } });
    const b = await read<CohortRecord>('idnumber,name,category_id\nC2,Two,12\n');
    expect(b.items[0].record).toEqual({ key: 'C2', fields: { name: 'Two', categoryId: 12 } });
    const c = await read<CohortRecord>('idnumber,name,contextid\nC3,Three,1\nC4,Four,27\n');
    expect(c.items[0].record).toEqual({ key: 'C3', fields: { name: 'Three' } });
    expect(c.items[1].error).toMatchObject({ code: 'invalid-value', key: 'C4' });
    expect(c.items[1].error?.message).toContain('only 1 (the system context)');
  });

  it('turns bad values into row errors and keeps reading', async () => {
    const r = await read<CohortRecord>('EXTERNAL_COHORT_KEY|NAME|VISIBLE|ROW_STATUS|ACTION\nA|a|maybe||\n|b|Y||\nC|c|Y|gone|\nD|d|Y||shift\nE|e|Y||\n');
    expect(r.items.map((i) => i.error?.code ?? 'ok')).toEqual(['invalid-value', 'missing-value', 'invalid-value', 'invalid-value', 'ok']);
    expect(r.items[0].error?.message).toBe('column VISIBLE has "maybe", expected Y, N, 1 or 0');
  });

  it('refuses two columns that both say where the cohort lives', async () => {
    await expect(read('idnumber,name,category,category_id\nA,a,F,3\n')).rejects.toThrow(FeedFileError);
  });

  it('reads cohort members in both dialects, key COHORT|PERSON', async () => {
    const s = await read<CohortMemberRecord>('EXTERNAL_COHORT_KEY|EXTERNAL_PERSON_KEY|ROW_STATUS|DATA_SOURCE_KEY|ACTION\nY1|P1|enabled|SIS|add\nY1|P2|disabled|SIS|\n');
    expect(s).toMatchObject({ type: 'cohort-members', dialect: 'sis' });
    expect(s.items.map((i) => i.record)).toEqual([
      { key: 'Y1|P1', fields: { cohort: 'Y1', person: 'P1' }, rowStatus: 'enabled', dataSource: 'SIS', command: 'store' },
      { key: 'Y1|P2', fields: { cohort: 'Y1', person: 'P2' }, rowStatus: 'disabled', dataSource: 'SIS' },
    ]);
    const m = await read<CohortMemberRecord>('cohort,user,cmd\nY1,P1,del\n');
    expect(m).toMatchObject({ type: 'cohort-members', dialect: 'moodle' });
    expect(m.items[0].record).toEqual({ key: 'Y1|P1', fields: { cohort: 'Y1', person: 'P1' }, command: 'delete' });
    const u = await read<CohortMemberRecord>('cohort_idnumber,username\nY1,Ann.Lee\n');
    expect(u.items[0].record).toEqual({ key: 'Y1|ann.lee', fields: { cohort: 'Y1', person: 'ann.lee', personBy: 'username' } });
  });

  it('reads a cohort named by its name (cohort_name): the key keeps the name as given', async () => {
    const r = await read<CohortMemberRecord>('cohort_name,username,cmd\nYear 1,Ann.Lee,add\nYear 1,P2,del\n');
    expect(r).toMatchObject({ type: 'cohort-members', dialect: 'moodle' });
    expect(r.items.map((i) => i.record)).toEqual([
      { key: 'Year 1|ann.lee', fields: { cohort: 'Year 1', cohortBy: 'name', person: 'ann.lee', personBy: 'username' }, command: 'store' },
      { key: 'Year 1|p2', fields: { cohort: 'Year 1', cohortBy: 'name', person: 'p2', personBy: 'username' }, command: 'delete' },
    ]);
    const p = await read<CohortMemberRecord>('cohort_name,user\n"A|B",P1\n');
    expect(p.items[0].error).toMatchObject({ code: 'invalid-value' });
    await expect(openFeed(file('cohort,cohort_name,user\nY1,Year 1,P1\n'))).rejects.toThrow('both give');
  });

  it('fails member rows with an empty key part or a pipe in the cohort key', async () => {
    const r = await read<CohortMemberRecord>('EXTERNAL_COHORT_KEY,EXTERNAL_PERSON_KEY\nY1,\n"A|B",P1\nY1,P1,extra\n');
    expect(r.items.map((i) => i.error?.code)).toEqual(['missing-value', 'invalid-value', 'long-row']);
    expect(r.items[0].error?.message).toBe('the key column EXTERNAL_PERSON_KEY is empty');
  });

  it('names the missing key column, and refuses a members header forced to cohorts', async () => {
    await expect(read('cohort,cmd\nY1,add\n', 'cohort-members')).rejects.toThrow('missing column "user"');
    await expect(read('NAME|VISIBLE\nx|Y\n', 'cohorts')).rejects.toThrow('missing column "idnumber"');
    await expect(read('EXTERNAL_COHORT_KEY|EXTERNAL_PERSON_KEY\nY1|P1\n', 'cohorts')).rejects.toThrow(FeedFileError);
  });

  it('leaves the other feeds alone: a categories header stays categories, groups stay groups', async () => {
    expect((await read('idnumber,name,description\nA,a,\n')).type).toBe('categories');
    expect((await read('course,group,user\nC1,G1,P1\n')).type).toBe('group-members');
  });
});
