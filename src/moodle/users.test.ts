import { describe, expect, it } from '@jest/globals';
import { ProtocolError } from './errors.js';
import { PERSON_FUNCTIONS, createUsers, deleteUsers, getSiteInfo, getUsers, getUsersByField, updateUsers } from './users.js';
import { cannedCaller } from '../../test/moodle-contract.js';

describe('user wrappers', () => {
  it('getSiteInfo calls core_webservice_get_site_info without parameters', async () => {
    const c = cannedCaller({ sitename: 'S', functions: [] });
    await expect(getSiteInfo(c)).resolves.toMatchObject({ sitename: 'S' });
    expect(c.calls).toEqual([['core_webservice_get_site_info', {}]]);
  });

  it('createUsers returns the ids in order', async () => {
    const c = cannedCaller([{ id: 17, username: 'a' }, { id: 18, username: 'b' }]);
    const users = [
      { username: 'a', firstname: 'A', lastname: 'T', email: 'a@x.org' },
      { username: 'b', firstname: 'B', lastname: 'T', email: 'b@x.org' },
    ];
    await expect(createUsers(c, users)).resolves.toEqual([{ id: 17, username: 'a' }, { id: 18, username: 'b' }]);
    expect(c.calls[0]).toEqual(['core_user_create_users', { users }]);
  });

  it('createUsers throws ProtocolError when Moodle answers with fewer users than were sent (max_input_vars cut)', async () => {
    const c = cannedCaller([{ id: 17, username: 'a' }]);
    const users = [
      { username: 'a', firstname: 'A', lastname: 'T', email: 'a@x.org' },
      { username: 'b', firstname: 'B', lastname: 'T', email: 'b@x.org' },
    ];
    await expect(createUsers(c, users)).rejects.toThrow(ProtocolError);
    await expect(createUsers(cannedCaller(null), users)).rejects.toThrow(/sent 2 users, Moodle answered with no list/);
  });

  it('updateUsers returns the warnings, and none for a pre-4.0 null reply', async () => {
    const w = { item: 'user', itemid: 9, warningcode: 'invaliduserid', message: 'Invalid user ID' };
    await expect(updateUsers(cannedCaller({ warnings: [w] }), [{ id: 9, city: 'York' }])).resolves.toEqual([w]);
    await expect(updateUsers(cannedCaller(null), [{ id: 9, suspended: 1 }])).resolves.toEqual([]);
  });

  it('deleteUsers sends userids and accepts null', async () => {
    const c = cannedCaller(null);
    await deleteUsers(c, [4, 5]);
    expect(c.calls).toEqual([['core_user_delete_users', { userids: [4, 5] }]]);
  });

  it('getUsersByField sends field and values, and makes no call for no values', async () => {
    const c = cannedCaller([{ id: 1, username: 'a' }]);
    await expect(getUsersByField(c, 'username', ['a', 'b'])).resolves.toEqual([{ id: 1, username: 'a' }]);
    await expect(getUsersByField(c, 'idnumber', [])).resolves.toEqual([]);
    expect(c.calls).toEqual([['core_user_get_users_by_field', { field: 'username', values: ['a', 'b'] }]]);
  });

  it('getUsers returns users and warnings', async () => {
    const c = cannedCaller({ users: [{ id: 1, username: 'a' }] });
    await expect(getUsers(c, [{ key: 'idnumber', value: 'X' }])).resolves.toEqual({ users: [{ id: 1, username: 'a' }], warnings: [] });
    expect(c.calls[0]).toEqual(['core_user_get_users', { criteria: [{ key: 'idnumber', value: 'X' }] }]);
  });

  it('PERSON_FUNCTIONS names every function the persons pipeline calls', () => {
    expect(PERSON_FUNCTIONS).toEqual(
      expect.arrayContaining(['core_webservice_get_site_info', 'core_user_create_users', 'core_user_update_users', 'core_user_delete_users', 'core_user_get_users_by_field']),
    );
  });
});
