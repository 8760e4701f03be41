import { describe, expect, it } from '@jest/globals';
import { worstExit } from './runner.js';

describe('worstExit', () => {
  it('ranks refused (3) over failed rows (2) over usage (1) over ok (0)', () => {
    expect(worstExit([])).toBe(0);
    expect(worstExit([0, 1, 0])).toBe(1);
    expect(worstExit([1, 2, 0])).toBe(2);
    expect(worstExit([2, 3, 1])).toBe(3);
    expect(worstExit([3, 2])).toBe(3);
  });
});
