/** Moodle web-service shapes mdlsync relies on (see ../shared/moodle-api-notes.md). */

/** The error object Moodle answers with HTTP 200: {exception, errorcode, message, debuginfo?}. */
export interface MoodleErrorBody {
  exception: string;
  errorcode: string;
  message: string;
  debuginfo?: string;
}

export interface MoodleWarning {
  item?: string;
  itemid?: number;
  warningcode: string;
  message: string;
}

export interface SiteInfo {
  sitename: string;
  username: string;
  userid: number;
  siteurl: string;
  release: string;
  version: string;
  functions: { name: string; version: string }[];
  userissiteadmin?: boolean;
  [k: string]: unknown;
}

/** A user as core_user_get_users_by_field / core_user_get_users return it (empty fields are omitted by Moodle). */
export interface MoodleUser {
  id: number;
  username: string;
  firstname?: string;
  lastname?: string;
  fullname?: string;
  email?: string;
  idnumber?: string;
  auth?: string;
  suspended?: boolean;
  confirmed?: boolean;
  [k: string]: unknown;
}

/** One record of core_user_create_users. */
export interface CreateUserInput {
  username: string;
  firstname: string;
  lastname: string;
  email: string;
  password?: string;
  createpassword?: 0 | 1;
  auth?: string;
  idnumber?: string;
  lang?: string;
  city?: string;
  country?: string;
  timezone?: string;
  institution?: string;
  department?: string;
  phone1?: string;
  phone2?: string;
  address?: string;
  description?: string;
  middlename?: string;
  alternatename?: string;
  firstnamephonetic?: string;
  lastnamephonetic?: string;
  interests?: string;
  customfields?: { type: string; value: string }[];
  preferences?: { type: string; value: string }[];
}

/** One record of core_user_update_users: id plus any field to change. */
export type UpdateUserInput = { id: number; suspended?: 0 | 1 } & Partial<Omit<CreateUserInput, 'createpassword' | 'preferences'>>;

export type UserLookupField = 'id' | 'idnumber' | 'username' | 'email';

/** The one thing apply/ needs from the REST client (MoodleClient implements it; tests may fake it). */
export interface MoodleCaller {
  call<T>(wsfunction: string, params: Record<string, unknown>): Promise<T>;
}
