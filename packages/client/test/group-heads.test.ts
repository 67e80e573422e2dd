import { describe, expect, it } from 'vitest';
import { claimChange, clearClaim, readClaim, readRemoved, removedChange } from '../src/alerts/group-watch.js';
import { headAt, headsMeta, HEADS_KEPT } from '../src/groups/heads.js';
import { MemoryStore } from '../src/stores/memory/memory-store.js';

describe('per-version group heads', () => {
  it('merges versions into what is stored and keeps the newest HEADS_KEPT', () => {
    const store = new MemoryStore();
    store.commit({ meta: headsMeta(store, 'g', [[0, 'h0'], [1, 'h1']]) });
    store.commit({ meta: headsMeta(store, 'g', [[2, 'h2'], [-1, 'none']]) });
    expect([0, 1, 2].map((v) => headAt(store, 'g', v))).toEqual(['h0', 'h1', 'h2']);
    expect(headAt(store, 'g', -1)).toBeUndefined();
    expect(headAt(store, 'other', 0)).toBeUndefined();
    const many = Array.from({ length: HEADS_KEPT + 5 }, (_, i): [number, string] => [i, `x${i}`]);
    store.commit({ meta: headsMeta(store, 'g', many) });
    expect(headAt(store, 'g', 4)).toBeUndefined();
    expect(headAt(store, 'g', 5)).toBe('x5');
    expect(headAt(store, 'g', HEADS_KEPT + 4)).toBe(`x${HEADS_KEPT + 4}`);
  });

  it('ignores a corrupt entry instead of throwing', () => {
    const store = new MemoryStore();
    store.commit({ meta: { 'groupHeads:g': '{not json', 'groupWithheld:g': '[1]', 'groupRemoved:g': '"x"' } });
    expect(headAt(store, 'g', 0)).toBeUndefined();
    expect(readClaim(store, 'g')).toBeUndefined();
    expect(readRemoved(store, 'g').size).toBe(0);
  });
});

describe('withheld claims and removed members', () => {
  it('keeps the highest named version until cleared', () => {
    const store = new MemoryStore();
    store.commit(claimChange(store, 'g', { namedVersion: 5, headHash: 'a', namedBy: 'm' }));
    store.commit(claimChange(store, 'g', { namedVersion: 4, headHash: 'b', namedBy: 'n' }));
    expect(readClaim(store, 'g')).toEqual({ namedVersion: 5, headHash: 'a', namedBy: 'm' });
    store.commit(clearClaim('g'));
    expect(readClaim(store, 'g')).toBeUndefined();
  });

  it('records removals by account', () => {
    const store = new MemoryStore();
    store.commit(removedChange(store, 'g', (r) => r.set('x', 7)));
    store.commit(removedChange(store, 'g', (r) => r.set('y', 9)));
    expect([...readRemoved(store, 'g')]).toEqual([['x', 7], ['y', 9]]);
    store.commit(removedChange(store, 'g', (r) => r.delete('x')));
    expect([...readRemoved(store, 'g')]).toEqual([['y', 9]]);
  });
});
