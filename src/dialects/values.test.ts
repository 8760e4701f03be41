import { describe, expect, test } from '@jest/globals';
import { flag, sameName, unixTime } from './values.js';

const UTC = { timezone: 'UTC' };
const SEP1 = Date.UTC(2026, 8, 1) / 1000;

describe('unixTime: dates as the source tools write them', () => {
  test('Unix time, ISO, d.m.Y, yyyymmdd; slash dates in the order asked (m/d/Y by default)', () => {
    expect(unixTime('1788220800')).toBe(1788220800);
    expect(unixTime('2026-09-01', UTC)).toBe(SEP1);
    expect(unixTime('2026-09-01 08:30', UTC)).toBe(SEP1 + 8.5 * 3600);
    expect(unixTime('1.9.2026', UTC)).toBe(SEP1);
    expect(unixTime('20260901', UTC)).toBe(SEP1);
    expect(unixTime('9/1/2026', UTC)).toBe(SEP1);
    expect(unixTime('1/9/2026', { ...UTC, order: 'dmy' })).toBe(SEP1);
  });

  test('read in the zone given; a date that does not exist or another text is NaN', () => {
    expect(unixTime('2026-09-01', { timezone: 'Europe/Paris' })).toBe(SEP1 - 2 * 3600);
    expect(unixTime('30.2.2026', UTC)).toBeNaN();
    expect(unixTime('13/13/2026', UTC)).toBeNaN();
    expect(unixTime('soon', UTC)).toBeNaN();
  });
});

describe('flag and sameName', () => {
  test('yes/no cells; documented names with <N> and <name>', () => {
    expect([flag('Y'), flag('true'), flag('0'), flag('off'), flag('maybe')]).toEqual([true, true, false, false, undefined]);
    expect(sameName('course<N>', 'course12')).toBe(true);
    expect(sameName('course<N>', 'courses')).toBe(false);
    expect(sameName('profile_field_<name>', 'profile_field_dept')).toBe(true);
    expect(sameName('username', 'username')).toBe(true);
  });
});
