// Tokens for a server whose anonymous reads are off (docs/security.md): when a request gets
// 401 the page asks for a token once (ui/signin.ts), keeps it in sessionStorage (gone when
// the tab closes), and sends it as "Authorization: Bearer" on its own fetches and on
// MapLibre's tile and TileJSON requests. The header only ever goes to the page's origin.

export const TOKEN_KEY = 'cityreach.session-token';

type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** Whether url (absolute or relative) is on origin: the only place a token is sent. */
export function sameOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url, origin).origin === origin;
  } catch {
    return false;
  }
}

/** The Authorization header for the stored token, or none. */
export function authHeader(store: Store): Record<string, string> {
  const t = store.getItem(TOKEN_KEY)?.trim();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

/** MapLibre's transformRequest: the stored token on requests to the page's own origin. */
export function transformRequest(origin: string, store: Store) {
  return (url: string): { url: string; headers?: Record<string, string> } =>
    sameOrigin(url, origin) ? { url, headers: authHeader(store) } : { url };
}

/**
 * A fetch that adds the stored token to same-origin requests and, on a 401, asks for a
 * token (one question at a time however many requests failed together), stores it and
 * retries once. A cancelled question leaves the 401 to the caller.
 */
export function authFetch(base: typeof fetch, store: Store, origin: string, ask: (retry: boolean) => Promise<string | null>): typeof fetch {
  let asking: Promise<string | null> | null = null;
  const send = (input: RequestInfo | URL, init: RequestInit | undefined) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!sameOrigin(url, origin)) return base(input, init);
    const headers = new Headers(init?.headers);
    for (const [k, v] of Object.entries(authHeader(store))) headers.set(k, v);
    return base(input, { ...init, headers });
  };
  return async (input, init) => {
    const sent = store.getItem(TOKEN_KEY);
    const res = await send(input, init);
    if (res.status !== 401 || !sameOrigin(input instanceof Request ? input.url : String(input), origin)) return res;
    if (store.getItem(TOKEN_KEY) === sent) {
      // Nobody signed in since this request left: ask (or join the question already open).
      asking ??= ask(sent !== null).finally(() => { asking = null; });
      const token = (await asking)?.trim();
      if (!token) return res;
      store.setItem(TOKEN_KEY, token);
    }
    return send(input, init);
  };
}
