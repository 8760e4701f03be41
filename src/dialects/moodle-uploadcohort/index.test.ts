import { describe, expect, it } from '@jest/globals';
import { DEFAULT_DIALECT_SETTINGS } from '../definition.js';
import { kindClaiming } from '../index.js';
import { claimsUploadCohort, moodleUploadcohort } from './index.js';

const compile = (header: string) => {
  const columns = header.split(',');
  return moodleUploadcohort.kinds[0].compile(columns.map((c) => c.toLowerCase()), columns, DEFAULT_DIALECT_SETTINGS);
};

describe('Upload cohorts: which headers it claims', () => {
  it('name alone, or with a cohort column; not a categories feed, not a courses file', () => {
    expect(claimsUploadCohort(['name'])).toBe(true);
    expect(claimsUploadCohort(['name', 'description'])).toBe(true);
    expect(claimsUploadCohort(['name', 'idnumber', 'description', 'category_path'])).toBe(true);
    expect(claimsUploadCohort(['name', 'idnumber', 'descriptionformat', 'theme', 'visible'])).toBe(true);
    expect(claimsUploadCohort(['idnumber', 'name', 'description'])).toBe(false);
    expect(claimsUploadCohort(['idnumber', 'name', 'parent'])).toBe(false);
    expect(claimsUploadCohort(['shortname', 'name'])).toBe(false);
    expect(kindClaiming(['name', 'idnumber', 'category_idnumber'])?.dialect.name).toBe('moodle-uploadcohort');
  });
});

describe('Upload cohorts: translation', () => {
  it('a cohort without idnumber is keyed by its name; visible as the upload page cleans it; the place in resolve_context order', () => {
    const c = compile('name,idnumber,description,visible,context,category');
    expect(c.translate(['Year 7', '', 'All of year 7', '', '', ''], 2)).toEqual({ rows: { cohorts: [{ idnumber: 'Year 7', name: 'Year 7', description: 'All of year 7', visible: '1' }] } });
    expect(c.translate(['A', 'A1', '', 'no', 'System', 'SCI'], 2)).toMatchObject({ rows: { cohorts: [{ idnumber: 'A1', visible: '0', context: 'system' }] } });
    expect(c.translate(['A', 'A1', '', 'n', 'SCI', ''], 2)).toMatchObject({ rows: { cohorts: [{ visible: '0', context: 'SCI' }] } });
    expect(c.translate(['A', 'A1', '', 'whatever', '', 'SCI'], 2)).toMatchObject({ rows: { cohorts: [{ visible: '1', context: 'SCI' }] } });
    expect(c.translate(['A', 'A1', '', '', '', '7'], 2)).toMatchObject({ error: { code: 'invalid-value', key: 'A1', message: expect.stringContaining('category id 7') } });
    expect(c.translate(['A', 'A1', '', '', '', 'Faculty / Science'], 2)).toMatchObject({ error: { message: expect.stringContaining('by path') } });
    expect(c.translate(['', 'A1', '', '', '', ''], 2)).toMatchObject({ error: { code: 'missing-value', key: 'A1' } });
  });

  it('category ids through category_id; contextid 1 only; descriptionformat and theme warned', () => {
    const c = compile('name,idnumber,category_id,category_idnumber,contextid,descriptionformat,theme');
    expect(c.warnings).toEqual([expect.stringMatching(/^descriptionformat: not set/), expect.stringMatching(/^theme: not set/)]);
    expect(c.translate(['A', 'A1', '5', '', '', '1', ''], 2)).toMatchObject({ rows: { cohorts: [{ category_id: '5' }] } });
    expect(c.translate(['A', 'A1', '', 'SCI', '', '', ''], 2)).toMatchObject({ error: { message: expect.stringContaining('give every category by id') } });
    expect(c.translate(['A', 'A1', '5', '', '1', '', ''], 2)).toMatchObject({ rows: { cohorts: [{ idnumber: 'A1' }] } });
    expect(c.translate(['A', 'A1', '', '', '12', '', ''], 2)).toMatchObject({ error: { message: expect.stringContaining('contextid 12') } });
  });
});
