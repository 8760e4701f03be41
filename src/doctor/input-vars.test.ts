/** The max_input_vars probe: exactly maxInputVars form variables with the required `field` last; what each answer means. */
import { describe, expect, test } from '@jest/globals';
import { MoodleError, TransientError, type MoodleCaller } from '../moodle/index.js';
import { encodeForm } from '../moodle/encode.js';
import { inputVarsCheck } from './input-vars.js';

const caller = (answer: () => unknown, sent: string[] = []): MoodleCaller => ({
  call: <T>(wsfunction: string, params: Record<string, unknown>): Promise<T> => {
    sent.push(encodeForm('TOKEN', wsfunction, params));
    return Promise.resolve().then(() => answer() as T);
  },
});

describe('inputVarsCheck', () => {
  test('sends a read of exactly maxInputVars variables whose last one is the required field', async () => {
    const sent: string[] = [];
    expect(await inputVarsCheck(caller(() => [], sent), 1000)).toMatchObject({ name: 'max-input-vars', status: 'ok' });
    const pairs = sent[0].split('&');
    expect(pairs).toHaveLength(1000);
    expect(pairs.slice(0, 2)).toEqual(['wstoken=TOKEN', 'wsfunction=core_user_get_users_by_field']);
    expect(pairs[pairs.length - 1]).toBe('field=id');
  });

  test('Moodle missing the field (the site cut the request) fails with the fix', async () => {
    const err = new MoodleError('core_user_get_users_by_field', { exception: 'invalid_parameter_exception', errorcode: 'invalidparameter', message: 'Invalid parameter value detected' });
    expect(await inputVarsCheck(caller(() => { throw err; }), 5000)).toMatchObject({ status: 'fail', hint: expect.stringMatching(/moodle\.maxInputVars/) });
  });

  test('a reply that is not JSON (a PHP warning first) fails too, saying what came back', async () => {
    const err = new TransientError('not-json', 'the reply is not JSON (<br /> <b>Warning</b>)');
    expect(await inputVarsCheck(caller(() => { throw err; }), 5000)).toMatchObject({ status: 'fail', message: expect.stringMatching(/not Moodle's JSON .*Warning/) });
  });

  test('any other failure is a warning, not a verdict', async () => {
    const err = new TransientError('timeout', 'timed out');
    expect(await inputVarsCheck(caller(() => { throw err; }), 5000)).toMatchObject({ status: 'warn', message: expect.stringMatching(/could not be checked: timed out/) });
  });
});
