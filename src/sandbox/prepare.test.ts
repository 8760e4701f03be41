import { describe, expect, it } from '@jest/globals';
import { UserStore } from './user-store.js';

describe('sandbox prepared statements', () => {
  it('reuses one statement per SQL text, handed out in its default mode whatever a caller switched', () => {
    const store = new UserStore();
    const sql = 'SELECT id, username FROM user WHERE id = ?';
    const a = store.db.prepare(sql);
    expect(store.db.prepare(sql)).toBe(a);
    a.pluck(true);
    expect(store.db.prepare(sql).get(2)).toEqual({ id: 2, username: 'admin' });
    store.db.prepare(sql).raw(true);
    expect(store.db.prepare(sql).get(1)).toEqual({ id: 1, username: 'guest' });
    store.close();
  });
});
