/**
 * The exceptions a Moodle 4.5 web service answers with. Class names are the 4.5 ones (core ones are namespaced
 * since 4.5); the REST server turns them into {exception, errorcode, message, debuginfo?}.
 */

export class MoodleException extends Error {
  constructor(
    readonly exceptionClass: string,
    readonly errorcode: string,
    message: string,
    readonly debuginfo?: string,
  ) {
    super(message);
  }
}

/**
 * A PHP \Error (no moodle_exception) escaping a web-service function: Moodle answers {exception: "Error", message}
 * with no errorcode key (contract 2026-12/150).
 */
export class PhpError extends MoodleException {
  constructor(message: string) {
    super('Error', '', message);
  }
}

const INVALID_PARAMETER_MESSAGE = 'Invalid parameter value detected';

export function invalidParameter(debuginfo: string): MoodleException {
  return new MoodleException(
    'core\\exception\\invalid_parameter_exception',
    'invalidparameter',
    INVALID_PARAMETER_MESSAGE,
    debuginfo,
  );
}

export function invalidResponse(debuginfo: string): MoodleException {
  return new MoodleException(
    'core\\exception\\invalid_response_exception',
    'invalidresponse',
    'Invalid response value detected',
    debuginfo,
  );
}

/**
 * new moodle_exception($errorcode) with no component: Moodle looks the code up in lang/en/error.php and, when
 * there is no such string, the message becomes "error/<code>" (as recorded for useremailinvalid).
 */
export function moodleException(errorcode: string, message?: string, debuginfo?: string): MoodleException {
  return new MoodleException('core\\exception\\moodle_exception', errorcode, message ?? `error/${errorcode}`, debuginfo);
}

export function codingException(hint: string, debuginfo?: string): MoodleException {
  return new MoodleException(
    'core\\exception\\coding_exception',
    'codingerror',
    `Coding error detected, it must be fixed by a programmer: ${hint}`,
    debuginfo,
  );
}

/** PHP var_export() of a DML parameter list, as dml_missing_record_exception puts it in debuginfo. */
function varExportParams(params: (string | number)[]): string {
  const lines = params.map((p, i) => {
    const v = typeof p === 'number' ? String(p) : `'${p.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    return `  ${i} => ${v},\n`;
  });
  return `array (\n${lines.join('')})`;
}

/** dml_missing_record_exception: errorcode depends on the table ('user' → invaliduser, others → invalidrecord). */
export function missingRecord(table: string, sql: string, params: (string | number)[]): MoodleException {
  const errorcode = table === 'user' ? 'invaliduser' : 'invalidrecord';
  const message = table === 'user' ? 'Invalid user' : `Can't find data record in database table ${table}.`;
  return new MoodleException('dml_missing_record_exception', errorcode, message, `${sql}\n[${varExportParams(params)}]`);
}

export function dmlWriteException(debuginfo: string): MoodleException {
  return new MoodleException('dml_write_exception', 'dmlwriteexception', 'Error writing to database', debuginfo);
}

export function webserviceAccessException(debuginfo: string): MoodleException {
  return new MoodleException('webservice_access_exception', 'accessexception', 'Access control exception', debuginfo);
}
