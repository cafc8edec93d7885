import { describe, it, expect } from 'vitest';
import { authFetch, authHeader, sameOrigin, transformRequest, TOKEN_KEY } from '../src/auth';

const ORIGIN = 'http://127.0.0.1:8080';

function memoryStore(init: Record<string, string> = {}) {
  const m = new Map(Object.entries(init));
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) };
}

/** A server that accepts only "Bearer good" and records the Authorization of each request. */
function server() {
  const seen: (string | null)[] = [];
  const f = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const auth = new Headers(init?.headers).get('Authorization');
    seen.push(auth);
    return new Response(auth === 'Bearer good' ? '{"ok":true}' : '{"status":401}', { status: auth === 'Bearer good' ? 200 : 401 });
  }) as typeof fetch;
  return { f, seen };
}

describe('tokens', () => {
  it('sends the token only to the page origin', () => {
    expect(sameOrigin('/api/v1/layers', ORIGIN)).toBe(true);
    expect(sameOrigin(`${ORIGIN}/tiles/parks/1/2/3.mvt`, ORIGIN)).toBe(true);
    expect(sameOrigin('http://127.0.0.1:8081/tiles', ORIGIN)).toBe(false);
    expect(sameOrigin('//evil.example/x', ORIGIN)).toBe(false);
    const store = memoryStore({ [TOKEN_KEY]: ' crk_x ' });
    expect(authHeader(store)).toEqual({ Authorization: 'Bearer crk_x' });
    expect(authHeader(memoryStore())).toEqual({});
    const tr = transformRequest(ORIGIN, store);
    expect(tr(`${ORIGIN}/tiles/parks/0/0/0.mvt`)).toEqual({ url: `${ORIGIN}/tiles/parks/0/0/0.mvt`, headers: { Authorization: 'Bearer crk_x' } });
    expect(tr('https://tiles.example/0/0/0.mvt')).toEqual({ url: 'https://tiles.example/0/0/0.mvt' });
  });

  it('asks once for many 401s, stores the token and retries with it', async () => {
    const { f, seen } = server();
    const store = memoryStore();
    let asked = 0;
    const af = authFetch(f, store, ORIGIN, async (retry) => { asked++; expect(retry).toBe(false); return 'good'; });
    const rs = await Promise.all([af('/api/v1/layers'), af('/tiles/index.json'), af('/api/v1/calibers')]);
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(asked).toBe(1);
    expect(store.getItem(TOKEN_KEY)).toBe('good');
    expect(seen.filter((a) => a === null)).toHaveLength(3); // the first try of each went without
    expect(seen.filter((a) => a === 'Bearer good')).toHaveLength(3);
    // Signed in: the next request carries the token at once.
    expect((await af('/api/v1/layers')).status).toBe(200);
    expect(asked).toBe(1);
  });

  it('leaves the 401 to the caller when the question is cancelled, and says a stored token was refused', async () => {
    const { f } = server();
    const store = memoryStore({ [TOKEN_KEY]: 'expired' });
    const retries: boolean[] = [];
    const af = authFetch(f, store, ORIGIN, async (retry) => { retries.push(retry); return null; });
    expect((await af('/api/v1/layers')).status).toBe(401);
    expect(retries).toEqual([true]);
    expect(store.getItem(TOKEN_KEY)).toBe('expired');
  });

  it('never asks for or sends a token to another origin', async () => {
    const { f, seen } = server();
    const af = authFetch(f, memoryStore({ [TOKEN_KEY]: 'good' }), ORIGIN, async () => { throw new Error('asked'); });
    expect((await af('https://elsewhere.example/x')).status).toBe(401);
    expect(seen).toEqual([null]);
  });
});
