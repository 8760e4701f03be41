/**
 * The sandbox's file storage (Moodle's mdl_files and its file pool, in one table of the site's SQLite database):
 * the draft areas upload.php and core_files_upload write, and the user icon area core_user_update_picture fills.
 * Context ids: the recorded site gave the admin's user context id 5 (created at install); other users' context ids
 * are made up here (the user id + USER_CONTEXT_OFFSET), since nothing mdlsync does depends on them.
 */
import type Database from 'better-sqlite3';
import { randomInt } from 'node:crypto';

export interface FileRow {
  id: number;
  contextid: number;
  component: string;
  filearea: string;
  itemid: number;
  filepath: string;
  filename: string;
  userid: number | null;
  mimetype: string | null;
  filesize: number;
  author: string | null;
  license: string | null;
  source: string | null;
  content: Buffer;
  timecreated: number;
}

export type NewFile = Omit<FileRow, 'id' | 'timecreated' | 'filesize' | 'mimetype' | 'userid' | 'author' | 'license' | 'source'> &
  Partial<Pick<FileRow, 'mimetype' | 'userid' | 'author' | 'license' | 'source'>>;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS files (id INTEGER PRIMARY KEY AUTOINCREMENT, contextid INTEGER NOT NULL,
  component TEXT NOT NULL, filearea TEXT NOT NULL, itemid INTEGER NOT NULL, filepath TEXT NOT NULL,
  filename TEXT NOT NULL, userid INTEGER, mimetype TEXT, filesize INTEGER NOT NULL, author TEXT, license TEXT,
  source TEXT, content BLOB NOT NULL, timecreated INTEGER NOT NULL,
  UNIQUE (contextid, component, filearea, itemid, filepath, filename));
`;

export function createFileTables(db: Database.Database): void {
  db.exec(SCHEMA);
}

const ADMIN_ID = 2;
const ADMIN_CONTEXT_ID = 5;
const USER_CONTEXT_OFFSET = 38;

/** context_user::instance($userid)->id. */
export function userContextId(userid: number): number {
  return userid === ADMIN_ID ? ADMIN_CONTEXT_ID : userid + USER_CONTEXT_OFFSET;
}

export class FileStore {
  constructor(private readonly db: Database.Database) {}

  /** file_get_unused_draft_itemid(): a random item id no draft file uses yet. */
  unusedDraftItemId(): number {
    for (;;) {
      const id = randomInt(1, 1_000_000_000);
      if (!this.db.prepare("SELECT 1 FROM files WHERE filearea = 'draft' AND itemid = ?").get(id)) return id;
    }
  }

  exists(f: Pick<FileRow, 'contextid' | 'component' | 'filearea' | 'itemid' | 'filepath' | 'filename'>): boolean {
    return (
      this.db
        .prepare('SELECT 1 FROM files WHERE contextid = ? AND component = ? AND filearea = ? AND itemid = ? AND filepath = ? AND filename = ?')
        .get(f.contextid, f.component, f.filearea, f.itemid, f.filepath, f.filename) !== undefined
    );
  }

  /** create_file_from_string(): the new file's id. */
  add(f: NewFile): number {
    const r = this.db
      .prepare(
        `INSERT INTO files (contextid, component, filearea, itemid, filepath, filename, userid, mimetype, filesize, author,
          license, source, content, timecreated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(f.contextid, f.component, f.filearea, f.itemid, f.filepath, f.filename, f.userid ?? null, f.mimetype ?? null,
        f.content.length, f.author ?? null, f.license ?? null, f.source ?? null, f.content, Math.floor(Date.now() / 1000));
    return Number(r.lastInsertRowid);
  }

  /** get_area_files(), without the directory entries: ordered by path and name. */
  area(contextid: number, component: string, filearea: string, itemid?: number): FileRow[] {
    const byItem = itemid === undefined ? '' : ' AND itemid = ?';
    const args: (string | number)[] = [contextid, component, filearea, ...(itemid === undefined ? [] : [itemid])];
    return this.db
      .prepare(`SELECT * FROM files WHERE contextid = ? AND component = ? AND filearea = ?${byItem} ORDER BY filepath, filename, id`)
      .all(...args) as FileRow[];
  }

  /** delete_area_files(). */
  deleteArea(contextid: number, component: string, filearea: string, itemid?: number): void {
    const byItem = itemid === undefined ? '' : ' AND itemid = ?';
    const args: (string | number)[] = [contextid, component, filearea, ...(itemid === undefined ? [] : [itemid])];
    this.db.prepare(`DELETE FROM files WHERE contextid = ? AND component = ? AND filearea = ?${byItem}`).run(...args);
  }
}
