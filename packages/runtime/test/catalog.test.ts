import { describe, expect, it } from 'vitest';
import { DisposedError } from '../src/index.js';
import { harness } from './helpers.js';

describe('rec.items and rec.users()', () => {
  it('items: the catalog in artifact order, ids with their metadata, without another request', async () => {
    const h = await harness();
    const rec = await h.open();
    const requests = h.server.requests.length;
    expect(rec.items.ids).toEqual(h.fixture.itemIds);
    expect(rec.items.metadata?.[7]).toEqual({ name: 'Item 7', category: 'cat-1' });
    expect(rec.items.metadata).toHaveLength(h.fixture.itemIds.length);
    expect(h.server.requests.length).toBe(requests);
    // What recommend returns is what the catalog says.
    for (const r of await rec.recommend({ user: { id: '3' }, k: 5 })) {
      expect(rec.items.ids[r.position]).toBe(r.itemId);
      expect(rec.items.metadata?.[r.position]).toEqual(r.meta);
    }
    await rec.dispose();
  });

  it('items cannot be changed through the arrays handed out', async () => {
    const rec = await (await harness()).open();
    expect(() => (rec.items.ids as string[]).push('x')).toThrow(TypeError);
    expect(() => ((rec.items.ids as string[])[0] = 'x')).toThrow(TypeError);
    expect(rec.items.ids[0]).toBe('item-0');
    await rec.dispose();
  });

  it('items.metadata is absent with metadata: false, or when the artifact has none', async () => {
    const h = await harness();
    const rec = await h.open({ metadata: false });
    expect(rec.items.metadata).toBeUndefined();
    expect(rec.items.ids).toHaveLength(60);
    await rec.dispose();
    const bare = await (await harness({ metadata: false })).open();
    expect('metadata' in bare.items).toBe(false);
    await bare.dispose();
  });

  it('users(): the users.ids file, fetched once (verified, and shared with { id } requests)', async () => {
    const h = await harness({ userIds: true, users: 10 });
    const rec = await h.open();
    expect(h.server.requests).not.toContain('users/ids.json');
    const users = await rec.users();
    expect(users).toEqual(Array.from({ length: 10 }, (_, u) => `user-${u}`));
    expect(Object.isFrozen(users)).toBe(true);
    const recs = await rec.recommend({ user: { id: users[4]! }, k: 3 });
    expect(recs).toHaveLength(3);
    expect(await rec.users()).toBe(users);
    expect(h.server.requests.filter((p) => p === 'users/ids.json')).toHaveLength(1);
    await rec.dispose();
  });

  it('users(): "0" … "count-1" when the artifact has no users.ids, with no request', async () => {
    const h = await harness({ users: 10 });
    const rec = await h.open();
    const before = h.server.requests.length;
    expect(await rec.users()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(h.server.requests.length).toBe(before);
    await rec.dispose();
  });

  it('users() after dispose() is a DisposedError', async () => {
    const rec = await (await harness()).open();
    await rec.dispose();
    await expect(rec.users()).rejects.toBeInstanceOf(DisposedError);
  });
});
