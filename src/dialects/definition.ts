/**
 * What a dialect declares about itself, once, in src/dialects/<name>/: the files another tool reads (Moodle's upload
 * tools, enrol_flatfile, tool_sync, Blackboard snapshot feeds, Canvas SIS imports), how their headers are recognised,
 * what each column means, and how one row of such a file becomes rows of mdlsync's own feeds (one file can fan out
 * into several entities: an Upload users row is a person, its enrolments, its group and cohort memberships).
 *
 * A dialect does not plan or apply anything: it translates each source row into rows under mdlsync's native headers
 * (src/entities/<type>/ header tables), and the native row mappers, planners and appliers do the rest. So a dialect
 * file behaves exactly like the native files it stands for, and the tryback gives back the source's own lines.
 */
import type { EntityType } from '../entities/types.js';
import type { RowCode } from '../errors.js';
import type { FeedOptions } from '../feed/types.js';

/** How a column of the source format is treated. */
export type ColumnTreatment =
  /** mdlsync does what the source tool does with it. */
  | 'acts'
  /** The source tool accepts it; mdlsync does not act on it and says so once per file (a warning, not a refusal). */
  | 'warns'
  /** Ignoring it would change what the file means: the file is refused with what to do instead. */
  | 'refuses';

/** One column (or family of columns, `course<N>`) of a dialect, for `mdlsync dialects` and for the warnings. */
export interface DialectColumn {
  /** As the source's documentation writes it; `<N>` and `<name>` stand for a number and a free name. */
  name: string;
  treatment: ColumnTreatment;
  /** What it becomes in mdlsync (acts), or why it is ignored (warns), or what to do instead (refuses). */
  means: string;
}

/**
 * A part's row that cannot be made (a bad enrolstatus1 fails that enrolment, not the person on the same line): it
 * becomes a failed row of that part, with the source's line.
 */
export class PartFailure {
  constructor(
    readonly code: RowCode,
    readonly message: string,
    readonly key?: string,
  ) {}
}

/** The per-run choices a dialect's translation may read (config `dialects`, flags). */
export interface DialectSettings {
  /** `m/d/Y` or `d/m/Y` for slash dates (Moodle's upload tools read both; the US order by default). */
  dateOrder: 'mdy' | 'dmy';
  /** IANA zone of dates and times written without an offset (default the machine's). */
  timezone?: string;
  /** enrol_flatfile: the role mapping setting (file role name → Moodle role shortname). */
  flatfileRoles: Record<string, string>;
  /** tool_sync: what `uid` and `cid` (and the users file's key) name. */
  toolSync: {
    userIdentifier: 'idnumber' | 'username' | 'id' | 'email';
    courseIdentifier: 'idnumber' | 'shortname' | 'id';
    groupIdentifier?: 'idnumber' | 'name' | 'id';
  };
  /** Blackboard: the category of courses that name none (no CATEGORY column). */
  defaultCategory?: string;
  /** Upload users: add new only, add and update (default), update only. */
  uploadType: 'addnew' | 'addupdate' | 'update';
}

export const DEFAULT_DIALECT_SETTINGS: DialectSettings = {
  dateOrder: 'mdy',
  flatfileRoles: {},
  toolSync: { userIdentifier: 'idnumber', courseIdentifier: 'shortname' },
  uploadType: 'addupdate',
};

/** A native row: mdlsync column name (as a native header table reads it) → cell value. Absent = empty cell. */
export type NativeRow = Record<string, string>;

/** What one source row becomes. */
export type Translation =
  /** Nothing: a comment or a line the format skips. */
  | { skip: true }
  /** The row cannot be read; it fails as a whole, with its line, in the report and the tryback. */
  | { error: { code: RowCode; message: string; key?: string } }
  /** Rows of the native feeds, by entity type (a type with no rows for this line is simply absent). */
  | { rows: Partial<Record<EntityType, Array<NativeRow | PartFailure>>> };

/** One native feed a dialect file fans out into: its type and native header (the column names its rows use). */
export interface DialectPart {
  type: EntityType;
  header: readonly string[];
  /**
   * The part only makes sure what its rows name exists (the groups and cohorts an Upload users file names, created
   * when missing as the tool does): it runs as a store whatever the file's op (a refresh of the file removes nothing of
   * it, a delete of the file leaves it alone).
   */
  storeOnly?: boolean;
  /** Many lines name the same record (every student's group1): only its first line's row is read, the rest add nothing. */
  distinct?: boolean;
  /** Reading options the part's native mapper takes instead of the run's (Upload courses: category paths split on ` / `). */
  options?: Pick<FeedOptions, 'pathSeparator'>;
}

/** A dialect header read for one file: its parts, its warnings, and the per-row translation. */
export interface CompiledDialect {
  /** In any order; the run applies them in entity run order. */
  parts: readonly DialectPart[];
  /** One sentence per column (or family) the file has that mdlsync does not act on. */
  warnings: readonly string[];
  translate(cells: readonly string[], line: number): Translation;
}

/** One kind of file of a dialect (Canvas has users.csv, courses.csv …; Moodle's Upload users has one). */
export interface DialectKind {
  /** Short name, unique within the dialect: `users`, `enrollments`. */
  name: string;
  /** What an admin calls the file: "Upload users file". */
  title: string;
  /** The mdlsync entities it can fan out into, in the order the README lists them. */
  entities: readonly EntityType[];
  /** Headerless formats (enrol_flatfile, tool_sync's deletion lists): the column names rows are read under. */
  headerless?: {
    columns: readonly string[];
    /** Whether the first data row (already split) looks like this format. */
    test(cells: readonly string[]): boolean;
  };
  /**
   * Whether a header (names trimmed and lower-cased) is this kind's. A dialect claims only headers it can tell apart
   * (a column no other format uses): a claimed header is read by the dialect even when a native table could read it.
   */
  claims(lower: readonly string[]): boolean;
  columns: readonly DialectColumn[];
  /**
   * A file the source tool reads and mdlsync has nothing to do with (Canvas terms.csv): why. Run alone it is refused
   * (its compile throws); in an archive of several files it is left out with this as a warning.
   */
  ignored?: string;
  /** Reads the header (lower-cased names; the cells as written) into the file's parts; throws FeedFileError to refuse. */
  compile(lower: readonly string[], columns: readonly string[], settings: DialectSettings): CompiledDialect;
}

export interface DialectDefinition {
  /** `--dialect NAME`: lower-case, no spaces (`moodle-uploaduser`, `canvas`). */
  name: string;
  title: string;
  /** The public documentation the dialect is built from (cited in README). */
  source: string;
  /** The field delimiter its files use when the header alone does not tell (tool_sync: `;`). */
  delimiter?: string;
  /** Line starts the format treats as comments, besides `#` (tool_sync: `/`). */
  commentStarts?: readonly string[];
  kinds: readonly DialectKind[];
}
