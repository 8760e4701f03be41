/**
 * `mdlsync doctor`'s max_input_vars check: does the site take a request of moodle.maxInputVars form variables? PHP
 * silently drops the variables past its max_input_vars, so the probe is one read whose REQUIRED parameter comes
 * last: core_user_get_users_by_field with maxInputVars − 4 values (user id 0, which no user has) and then `field`.
 * Body: wstoken, wsfunction, moodlewsrestformat, values[0…], field — exactly maxInputVars variables. A site that
 * keeps them all answers an empty list; one that cuts the request loses `field` and answers invalidparameter
 * ("Missing required key in single structure: field", as case 120 for `values`), or a PHP warning that is not
 * JSON. Nothing is written either way.
 */
import { MoodleError, ProtocolError, TransientError, type MoodleCaller } from '../moodle/index.js';
import type { DoctorCheck } from './types.js';

const CONTROL_VARS = 3;

export async function inputVarsCheck(client: MoodleCaller, maxInputVars: number): Promise<DoctorCheck> {
  const name = 'max-input-vars';
  const values = new Array<number>(Math.max(1, maxInputVars - CONTROL_VARS - 1)).fill(0);
  const cut = {
    name,
    status: 'fail' as const,
    message: `the site dropped part of a request of ${maxInputVars} form variables (moodle.maxInputVars): PHP's max_input_vars is lower`,
    hint: `set moodle.maxInputVars to the site's PHP max_input_vars (php.ini; 1000 unless raised), or raise max_input_vars to ${maxInputVars} or more`,
  };
  try {
    const reply = await client.call<unknown>('core_user_get_users_by_field', { values, field: 'id' });
    if (Array.isArray(reply)) return { name, status: 'ok', message: `the site takes requests of ${maxInputVars} form variables (moodle.maxInputVars)` };
    return { ...cut, status: 'warn', message: `the max_input_vars probe got an answer that is not a list: ${JSON.stringify(reply).slice(0, 200)}` };
  } catch (err) {
    if (err instanceof MoodleError && err.errorcode === 'invalidparameter') return cut;
    // A PHP "Input variables exceeded" warning before the JSON (display_errors on) makes the body unreadable.
    if (err instanceof ProtocolError || (err instanceof TransientError && err.reason === 'not-json')) {
      return { ...cut, message: `${cut.message}, or so it seems: the reply was not Moodle's JSON (${(err as Error).message})` };
    }
    return { name, status: 'warn', message: `max_input_vars could not be checked: ${(err as Error).message}`, hint: 'run mdlsync doctor again; a run would report truncated rows if the site cut its requests' };
  }
}
