/**
 * No request a client can send yields a 500: every documented operation (from /openapi.json, so new
 * routes are covered by themselves) gets malformed bodies, wrong types, huge values, unknown, malformed
 * and other projects' ids, and odd query strings. Seeded, so a failure replays.
 */
import { startTestSystem, type TestSystem } from '../support/system';

jest.setTimeout(300_000);
let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

/** mulberry32: a small seeded generator. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

it('answers every fuzzed request with a status below 500', async () => {
  const rnd = random(20261122);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const ids = ['00000000-0000-0000-0000-000000000000', 'not-a-uuid', '%00', '..', 'x'.repeat(300), '1', 'DROP TABLE', '%F0%9F%92%A5'];
  const scalars = [0, -1, 1.5, 2 ** 53, -(2 ** 31), '', 'x'.repeat(70_000), '\u0000', 'é', true, false, null, '10.0.0.1', 'HTTP'];
  const value = (depth: number): unknown => {
    const r = rnd();
    if (depth > 2 || r < 0.6) return pick(scalars);
    if (r < 0.8) return Array.from({ length: Math.floor(rnd() * 3) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, () => [pick(['name', 'protocol', 'id', 'tags', 'weight', 'x']), value(depth + 1)]));
  };

  const doc = (await sys.api('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, { properties?: Record<string, unknown> }> } }> } }>> };
  const failures: string[] = [];
  let sent = 0;
  for (const [template, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      // Wrapper and field names of the real schema, so bodies get past the first check sometimes.
      const props = op.requestBody?.content['application/json']?.schema.properties ?? {};
      const wrapper = Object.keys(props)[0];
      const fields = Object.keys(props[wrapper ?? '']?.properties ?? {});
      for (let i = 0; i < 12; i++) {
        const path = template.replace(/\{\w+\}/g, () => pick(ids));
        const query = rnd() < 0.3 ? `?${pick(['limit=-1', 'limit=abc', 'marker=zz', 'sort=name:up', 'fields=', 'id=%00', 'cascade=maybe', 'tags=,', 'page_reverse=1'])}` : '';
        let body: unknown;
        if (method === 'post' || method === 'put') {
          const r = rnd();
          if (r < 0.15) body = '{"broken": ';
          else if (r < 0.3) body = value(0);
          else body = wrapper ? { [wrapper]: Object.fromEntries(fields.filter(() => rnd() < 0.5).map((f) => [f, value(1)])) } : value(0);
        }
        const res = await sys.api(method.toUpperCase(), path + query, body, rnd() < 0.1 ? { 'x-project-id': 'other-project' } : {});
        sent++;
        if (res.status >= 500 && res.status !== 501) failures.push(`${method.toUpperCase()} ${path}${query} ${JSON.stringify(body)?.slice(0, 200)} -> ${res.status} ${res.text.slice(0, 200)}`);
      }
    }
  }
  expect(sent).toBeGreaterThan(500);
  expect(failures).toEqual([]);
});
