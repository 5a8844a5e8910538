/**
 * The API fuzzer: property-based requests (fast-check) generated from /openapi.json, the document built
 * from the same schemas the API validates with, so every documented operation and field is covered by
 * itself. Bodies start valid by their schema and are then mutated (wrong types, missing and unknown
 * fields, huge strings and numbers, unicode, NUL bytes, malformed JSON, wrong content types); paths get
 * real ids (ours and another project's), unknown and malformed ones; queries get each operation's
 * parameters with odd values (NUL bytes included) and unknown ones; and some requests use a method or a
 * path nobody documented. For every request:
 *   - no 5xx (Octavia's own 501 for unsupported provider options aside);
 *   - a rejection is in Octavia's error format: WSME's fault body, or the framework's {code, title,
 *     description} where Octavia's framework answers (unknown routes and methods);
 *   - a rejected request changes nothing in the database.
 * FUZZ_RUNS sets the number of requests (a short run by default; `npm run fuzz` sends 10 000) and
 * FUZZ_SEED replays a run (npm test always runs one seed; npm run fuzz a new one each time): a failure
 * prints both, and the shrunk request.
 */
import fc from 'fast-check';
import { VIP_SUBNET, createTree, watchFlows, type Flows } from '../support/fixtures';
import { PROJECT_ID, startTestSystem, type TestSystem } from '../support/system';

const RUNS = Number(process.env.FUZZ_RUNS || 400);
// npm test replays one seed (a run that cannot fail by chance); npm run fuzz draws a new one each time.
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : process.env.FUZZ_RUNS ? Date.now() % 2 ** 31 : 20261206;
const OTHER_PROJECT = 'f2a5b3c4d5e64f708192a3b4c5d6e7f8';
jest.setTimeout(60_000 + RUNS * 500);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Schema = Record<string, any>;
interface Operation {
  method: string;
  template: string;
  query: string[];
  body?: Schema;
}

let sys: TestSystem;
let flows: Flows;
let operations: Operation[];

/**
 * Ids that exist, by kind (a wrapper name without underscores: loadbalancer, pool, l7policy, rule...):
 * the test project's tree, another project's load balancer, and whatever the run creates. Requests
 * mostly name an existing object of the kind their path or field wants, so they reach past the lookup.
 */
const known = new Map<string, string[]>();
const remember = (kind: string, id: unknown) => {
  if (typeof id === 'string') known.set(kind, [...(known.get(kind) ?? []), id]);
};
/** The kind a path parameter (by its collection segment) or a body field names. */
const SEGMENT_KINDS: Record<string, string> = {
  loadbalancers: 'loadbalancer', listeners: 'listener', pools: 'pool', poolId: 'pool', members: 'member',
  healthmonitors: 'healthmonitor', l7policies: 'l7policy', l7policyId: 'l7policy', rules: 'rule',
  flavorprofiles: 'flavorprofile', flavors: 'flavor', availabilityzoneprofiles: 'availabilityzoneprofile',
  availabilityzones: 'availabilityzone', amphorae: 'amphora', openstack_flavors: 'openstackflavor',
  projectId: 'project', provider: 'provider',
};
/** Names that stay valid whatever is deleted (a project's quotas reset, not the project). */
const FIXED_KINDS = new Set(['project', 'provider', 'subnet']);
const fieldKind = (field: string) => field.replace(/_id$/, '').replace(/^(default|redirect|vip)_/, '').replace(/_/g, '');

/** Tables the API writes (heartbeat tables are the health manager's and move on their own). */
let tables: string[];
const digest = async (): Promise<string> => {
  const rows = await sys.db.$queryRawUnsafe<{ d: string }[]>(
    `SELECT ${tables.map((t) => `(SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM "${t}" x)`).join(" || ',' || ")} AS d`,
  );
  return rows[0]!.d;
};

/** The run sets quotas too (a PUT of the project's quotas is a request like any other): back to the defaults. */
async function resetQuotas() {
  for (const project of [PROJECT_ID, OTHER_PROJECT]) {
    const res = await sys.api('DELETE', `/v2/lbaas/quotas/${project}`);
    if (![202, 204, 404].includes(res.status)) throw new Error(`resetting quotas of ${project}: ${res.status} ${res.text}`);
  }
}

/** Objects of every kind for requests to name: a whole tree, a flavor and a zone, another project's load balancer. */
async function seed() {
  await resetQuotas();
  const tree = await createTree(sys, { vipSubnetId: VIP_SUBNET, listener: { protocol: 'HTTP', protocol_port: 80 }, pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' }, members: [{ address: '192.0.2.10', protocol_port: 80 }], healthMonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 2 } });
  remember('loadbalancer', tree.loadBalancerId);
  remember('listener', tree.listenerId);
  remember('pool', tree.poolId);
  remember('member', tree.memberIds[0]);
  remember('healthmonitor', tree.healthMonitorId);
  const made = async (path: string, body: Record<string, unknown>, project?: string) => {
    const res = await sys.api('POST', path, body, project ? { 'x-project-id': project } : {});
    if (res.status !== 201) throw new Error(`seeding POST ${path}: ${res.status} ${res.text}`);
    await flows.settled();
    const [wrapper, view] = Object.entries(res.body as Record<string, Schema>)[0]!;
    remember(wrapper.replace(/_/g, ''), view.id ?? view.name);
    return (view.id ?? view.name) as string;
  };
  const policy = await made('/v2/lbaas/l7policies', { l7policy: { listener_id: tree.listenerId, action: 'REJECT' } });
  await made(`/v2/lbaas/l7policies/${policy}/rules`, { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' } });
  const profile = await made('/v2/lbaas/flavorprofiles', { flavorprofile: { name: 'fuzz', provider_name: 'amphora', flavor_data: '{}' } });
  await made('/v2/lbaas/flavors', { flavor: { name: `fuzz-${profile}`, flavor_profile_id: profile } });
  const zoneProfile = await made('/v2/lbaas/availabilityzoneprofiles', { availability_zone_profile: { name: 'fuzz', provider_name: 'amphora', availability_zone_data: '{}' } });
  await made('/v2/lbaas/availabilityzones', { availability_zone: { name: `fuzz-${zoneProfile}`, availability_zone_profile_id: zoneProfile } });
  await made('/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } }, OTHER_PROJECT);
}

beforeAll(async () => {
  sys = await startTestSystem();
  flows = watchFlows(sys);
  const doc = (await sys.api('GET', '/openapi.json')).body as { paths: Record<string, Record<string, Schema>> };
  operations = Object.entries(doc.paths).flatMap(([template, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      template,
      query: ((op.parameters ?? []) as Schema[]).filter((p) => p.in === 'query').map((p) => p.name as string),
      body: op.requestBody?.content?.['application/json']?.schema,
    })),
  );
  remember('project', PROJECT_ID);
  remember('project', OTHER_PROJECT);
  remember('subnet', VIP_SUBNET);
  for (const provider of ['amphora', 'octavia', 'noop_driver', 'f5']) remember('provider', provider);
  await seed();
  for (const amphora of await sys.db.amphora.findMany()) remember('amphora', amphora.id);
  const names = await sys.db.$queryRawUnsafe<{ t: string }[]>(
    `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT IN ('_prisma_migrations', 'amphora_health', 'listener_statistics') ORDER BY 1`,
  );
  tables = names.map((n) => n.t);
});
afterAll(async () => {
  await sys?.stop();
});

// --- values ------------------------------------------------------------------------------------

const ODD_STRINGS = ['', '\u0000', 'a\u0000b', 'x'.repeat(70_000), 'é', '💥', '\u202e', '../..', "'; DROP TABLE load_balancer; --", '%00', '%zz', ' '];
const ODD_NUMBERS = [0, -1, 1.5, 2 ** 31, 2 ** 53, 2 ** 64, 1e308, -(2 ** 31), Number.MIN_VALUE];
const oddScalar = fc.oneof(
  fc.constantFrom<unknown>(...ODD_STRINGS, ...ODD_NUMBERS, true, false, null, '80', 'true', 'yes', '10.0.0.1', '::1', 'HTTP'),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double(),
);
const anything: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, oddScalar, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 3 })),
})).value;

const ODD_IDS = ['00000000-0000-0000-0000-000000000000', 'not-a-uuid', '%00', '..', 'x'.repeat(300), '1', '%F0%9F%92%A5', '%zz', 'a%2Fb'];
/** Mostly an existing id of `kind` (any existing one when the kind has none), else unknown or malformed. */
const idArb = (kind?: string) => fc.oneof(
  { weight: 6, arbitrary: fc.nat().map((i) => {
    const ids = (kind && known.get(kind)?.length ? known.get(kind)! : [...known.values()].flat());
    return ids.length ? ids[i % ids.length]! : ODD_IDS[0]!;
  }) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_IDS) },
);

/** A value valid by a (JSON) schema, as far as the schema says; the API's own rules refuse the rest. */
function fromSchema(schema: Schema | undefined, depth = 0, field = ''): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return oddScalar;
  if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]));
  const alternatives = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (alternatives) return fc.oneof(...alternatives.map((s) => fromSchema(s, depth + 1, field)));
  const types = ([] as string[]).concat(schema.type ?? 'string');
  return fc.oneof(...types.map((type): fc.Arbitrary<unknown> => {
    switch (type) {
      case 'null':
        return fc.constant(null);
      case 'boolean':
        return fc.boolean();
      case 'integer':
        return fc.integer({ min: schema.minimum ?? -1, max: schema.maximum ?? 70_000 });
      case 'number':
        return fc.double({ min: schema.minimum ?? -1, max: schema.maximum ?? 1e6, noNaN: true });
      case 'array':
        return fc.array(fromSchema(schema.items, depth + 1, field), { maxLength: 3 });
      case 'object': {
        const props = Object.entries((schema.properties ?? {}) as Record<string, Schema>);
        return fc.record(Object.fromEntries(props.map(([k, s]) => [k, fromSchema(s, depth + 1, k)])), { requiredKeys: schema.required ?? [] });
      }
      default:
        if (schema.format === 'uuid' || known.has(fieldKind(field))) return idArb(fieldKind(field));
        if (schema.example !== undefined) return fc.oneof(fc.constant(schema.example), fc.string({ maxLength: schema.maxLength ?? 30 }));
        return fc.string({ maxLength: Math.min(schema.maxLength ?? 30, 300) });
    }
  }));
}

/** Breaks one thing in a body: a field's type or size, a missing or an unknown field. */
function mutate(body: unknown): fc.Arbitrary<unknown> {
  const wrapper = body && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body)[0] : undefined;
  const inner = wrapper ? (body as Record<string, unknown>)[wrapper] : undefined;
  if (!wrapper || !inner || typeof inner !== 'object' || Array.isArray(inner)) return fc.oneof(fc.constant(body), anything);
  const fields = Object.keys(inner);
  const withInner = (next: unknown) => ({ ...(body as object), [wrapper]: next });
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(body) },
    fields.length ? fc.tuple(fc.constantFrom(...fields), anything).map(([f, v]) => withInner({ ...inner, [f]: v })) : fc.constant(body),
    fields.length ? fc.constantFrom(...fields).map((f) => withInner(Object.fromEntries(Object.entries(inner).filter(([k]) => k !== f)))) : fc.constant(body),
    fc.tuple(fc.string({ unit: 'binary', maxLength: 12 }), anything).map(([f, v]) => withInner({ ...inner, [f]: v })),
    anything.map((v) => withInner(v)),
    anything,
  );
}

interface FuzzRequest {
  method: string;
  path: string;
  body?: string;
  headers: Record<string, string>;
}

const queryValue = fc.oneof(fc.constantFrom('%00', 'a%00b', '%zz', '', ',', '-1', 'abc', 'true', 'maybe', 'name:up', 'id:desc', '%F0%9F%92%A5'), idArb().map((v) => encodeURIComponent(String(v))), fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent));
const queryFor = (op: Operation) =>
  fc.array(fc.tuple(fc.oneof(fc.constantFrom(...op.query, 'limit', 'marker', 'sort', 'fields', 'page_reverse', 'cascade', 'tags', 'not-tags-any'), fc.string({ maxLength: 8 }).map(encodeURIComponent)), queryValue), { maxLength: 3 })
    .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));

const requestArb: fc.Arbitrary<FuzzRequest> = fc.constant(null).chain(() => {
  const op = fc.constantFrom(...operations);
  const documented = op.chain((o) => fc.record({
    method: fc.oneof({ weight: 9, arbitrary: fc.constant(o.method) }, { weight: 1, arbitrary: fc.constantFrom('PATCH', 'DELETE', 'PUT', 'POST', 'GET', 'HEAD', 'OPTIONS') }),
    path: fc.tuple(
      fc.tuple(...[...o.template.matchAll(/([\w-]+)\/\{(\w+)\}/g)].map(([, segment, param]) => idArb(SEGMENT_KINDS[param!] ?? SEGMENT_KINDS[segment!]))),
      fc.oneof({ weight: 12, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/', '/x', '//') }),
    ).map(([ids, tail]) => {
      let i = 0;
      return o.template.replace(/\{\w+\}/g, () => encodeURIComponent(String(ids[i++]))) + tail;
    }),
    query: queryFor(o),
    body: o.body ? fromSchema(o.body).chain(mutate) : fc.constant(undefined),
    encoding: fc.constantFrom('json', 'json', 'json', 'json', 'broken', 'text/plain', 'form'),
    project: fc.constantFrom<string | undefined>(undefined, undefined, undefined, OTHER_PROJECT),
  }));
  return documented.map(({ method, path, query, body, encoding, project }) => {
    const headers: Record<string, string> = project ? { 'x-project-id': project } : {};
    let raw = body === undefined ? undefined : JSON.stringify(body);
    if (raw !== undefined) {
      headers['content-type'] = encoding === 'text/plain' ? 'text/plain' : encoding === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
      if (encoding === 'broken') raw = raw.slice(0, Math.max(1, raw.length - 2));
    }
    return { method, path: path + query, body: method === 'GET' || method === 'HEAD' ? undefined : raw, headers };
  });
});

// --- the property -------------------------------------------------------------------------------

const isOctaviaFault = (body: unknown) =>
  typeof body === 'object' && body !== null && (
    (typeof (body as Schema).faultstring === 'string' && ['Client', 'Server'].includes((body as Schema).faultcode) && 'debuginfo' in body) ||
    (typeof (body as Schema).code === 'number' && typeof (body as Schema).title === 'string'));

it(`answers ${RUNS} fuzzed requests without a 5xx, rejects in Octavia's format and changes nothing when it rejects (seed ${SEED})`, async () => {
  let before = await digest();
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(requestArb, async (req) => {
      // A run deletes what it names too: when no pool is left, a new tree.
      if (!known.get('pool')?.length) {
        await seed();
        before = await digest();
      }
      const res = await sys.api(req.method, req.path, req.body, req.headers);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);

      const what = `${req.method} ${req.path.slice(0, 200)} ${req.body?.slice(0, 300) ?? ''} -> ${res.status} ${res.text.slice(0, 300)}`;
      if (res.status >= 500 && res.status !== 501) throw new Error(`5xx: ${what}`);
      if (res.status >= 400) {
        if (req.method !== 'HEAD' && !isOctaviaFault(res.body)) throw new Error(`not Octavia's error format: ${what}`);
        const after = await digest();
        if (after !== before) {
          before = after;
          throw new Error(`a rejected request changed the database: ${what}`);
        }
      } else {
        // What it deleted is no longer named; what it made is.
        if (req.method === 'DELETE') {
          const gone = req.path.split('?')[0]!.split('/').map(decodeURIComponent);
          for (const [kind, ids] of known) if (!FIXED_KINDS.has(kind)) known.set(kind, ids.filter((id) => !gone.includes(id)));
        }
        if (res.status === 201 && res.body && typeof res.body === 'object') {
          for (const [wrapper, view] of Object.entries(res.body as Record<string, Schema>)) remember(wrapper.replace(/_/g, ''), view?.id ?? view?.name);
        }
        // Accepted: its flows run to their end before the next request, which starts from a quiet state.
        await flows.settled();
        before = await digest();
      }
    }),
    { numRuns: RUNS, seed: SEED, endOnFailure: true },
  );
  if (process.env.FUZZ_RUNS) console.log(`fuzz seed ${SEED}: ${RUNS} requests, by status ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);
  // The run reached past validation too (a fuzzer whose every request is a 400 proves little).
  const accepted = [...statuses].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0);
  expect(accepted).toBeGreaterThan(RUNS / 50);
});

it('found: a NUL byte in a tag filter matches nothing, it is not a database error', async () => {
  for (const filter of ['tags', 'tags-any', 'not-tags', 'not-tags-any']) {
    const res = await sys.api('GET', `/v2/lbaas/l7policies?${filter}=%00`);
    expect([filter, res.status]).toEqual([filter, 200]);
  }
  const all = (await sys.api('GET', '/v2/lbaas/loadbalancers')).body.loadbalancers.length;
  expect((await sys.api('GET', '/v2/lbaas/loadbalancers?tags=%00')).body.loadbalancers).toEqual([]);
  expect((await sys.api('GET', '/v2/lbaas/loadbalancers?not-tags=a%00')).body.loadbalancers).toHaveLength(all);
});

it('found: a null for a listener setting with a default stores the default (its flow could not write the null)', async () => {
  // Its own load balancer and listener: the fuzzed requests before it may have deleted or broken the known ones.
  await resetQuotas();
  const lb = (await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } })).body.loadbalancer.id as string;
  await flows.settledActive(`/v2/lbaas/loadbalancers/${lb}`);
  const listener = (await sys.api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'HTTP', protocol_port: 2221, loadbalancer_id: lb, connection_limit: 5 } })).body.listener.id as string;
  await flows.settledActive(`/v2/lbaas/loadbalancers/${lb}`);
  // (A null client_authentication is not among them: Octavia checks it before putting the default back, and
  // refuses it without a client CA, as api-listener-validation.test.ts shows.)
  const nulls = { connection_limit: null, timeout_client_data: null, timeout_member_connect: null, timeout_member_data: null, timeout_tcp_inspect: null, insert_headers: null };
  expect((await sys.api('PUT', `/v2/lbaas/listeners/${listener}`, { listener: nulls })).status).toBe(200);
  expect(await flows.settledActive(`/v2/lbaas/loadbalancers/${lb}`)).toMatchObject({ provisioning_status: 'ACTIVE' });
  expect(await flows.settledView(`/v2/lbaas/listeners/${listener}`)).toMatchObject({
    provisioning_status: 'ACTIVE', connection_limit: -1, timeout_client_data: 50000, timeout_member_connect: 5000, timeout_member_data: 50000, timeout_tcp_inspect: 0, insert_headers: {}, client_authentication: 'NONE',
  });
  const created = await sys.api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'TCP', protocol_port: 2222, loadbalancer_id: lb, ...nulls } });
  expect(created.status).toBe(201);
  expect(await flows.settledView(`/v2/lbaas/listeners/${created.body.listener.id}`)).toMatchObject({ provisioning_status: 'ACTIVE', timeout_client_data: 50000 });
});
