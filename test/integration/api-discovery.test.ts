/**
 * Version discovery and providers, against the recorded Octavia 11 exchanges (root_versions.json,
 * providers.json) and Octavia's amphora driver capabilities.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startTestSystem, type TestSystem } from '../support/system';
import { fault } from '../support/fixtures';

const REFERENCE = path.resolve(__dirname, '../fixtures/reference/octavia');
const recorded = (file: string) =>
  JSON.parse(readFileSync(path.join(REFERENCE, file), 'utf8')) as { request: { path: string }; response: { status: number; body: unknown } };

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});


describe('version discovery', () => {
  it.each(['/', '/v2', '/v2.0', '/v2/'])('GET %s answers root_versions.json, with links to this host', async (p) => {
    const rec = recorded('root_versions.json');
    const host = new URL(sys.apiUrl).host;
    const expected = JSON.parse(JSON.stringify(rec.response.body).replaceAll('127.0.0.1:9876', host));
    const res = await fetch(sys.apiUrl + p);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(expected);
  });

  it('builds the links from the Host the client used', async () => {
    // fetch() cannot set Host: a plain HTTP request can.
    const url = new URL(sys.apiUrl);
    const body = await new Promise<{ versions: unknown[] }>((resolve, reject) => {
      http
        .get({ host: url.hostname, port: url.port, path: '/', headers: { host: 'lb.example.org:9876' } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(JSON.parse(text) as { versions: unknown[] }));
        })
        .on('error', reject);
    });
    expect(body.versions.at(-1)).toEqual({
      id: 'v2.26',
      status: 'CURRENT',
      updated: '2022-08-29T00:00:00Z',
      links: [{ href: 'http://lb.example.org:9876/v2', rel: 'self' }],
    });
  });

  it('needs no project (it is public)', async () => {
    const res = await fetch(sys.apiUrl + '/');
    expect(res.status).toBe(200);
  });
});

describe('providers', () => {
  it('lists the providers as Octavia 11 does (providers.json)', async () => {
    const rec = recorded('providers.json');
    for (const prefix of ['/v2', '/v2.0']) {
      const res = await sys.api('GET', rec.request.path.replace('/v2', prefix));
      expect({ status: res.status, body: res.body }).toEqual({ status: rec.response.status, body: rec.response.body });
    }
  });

  it('selects fields', async () => {
    const res = await sys.api('GET', '/v2/lbaas/providers?fields=name');
    expect(res.body).toEqual({ providers: [{ name: 'amphora' }, { name: 'octavia' }] });
  });

  it.each(['amphora', 'octavia'])('shows the flavor capabilities of %s (Octavia amphora driver schema)', async (provider) => {
    const res = await sys.api('GET', `/v2/lbaas/providers/${provider}/flavor_capabilities`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      flavor_capabilities: [
        {
          name: 'loadbalancer_topology',
          description: 'The load balancer topology. One of: SINGLE - One amphora per load balancer. ACTIVE_STANDBY - Two amphora per load balancer.',
        },
        { name: 'compute_flavor', description: 'The compute driver flavor ID.' },
        { name: 'amp_image_tag', description: 'The amphora image tag.' },
        { name: 'sriov_vip', description: 'When true, the VIP port will be created using an SR-IOV VF port.' },
      ],
    });
  });

  it('filters capabilities by name and description, and selects fields', async () => {
    expect((await sys.api('GET', '/v2/lbaas/providers/amphora/flavor_capabilities?name=compute_flavor')).body).toEqual({
      flavor_capabilities: [{ name: 'compute_flavor', description: 'The compute driver flavor ID.' }],
    });
    expect((await sys.api('GET', '/v2/lbaas/providers/amphora/flavor_capabilities?description=The%20amphora%20image%20tag.&fields=name')).body).toEqual({
      flavor_capabilities: [{ name: 'amp_image_tag' }],
    });
    expect((await sys.api('GET', '/v2/lbaas/providers/amphora/flavor_capabilities?name=nothing')).body).toEqual({ flavor_capabilities: [] });
  });

  it('shows the availability zone capabilities', async () => {
    const res = await sys.api('GET', '/v2.0/lbaas/providers/amphora/availability_zone_capabilities');
    expect(res.status).toBe(200);
    expect(res.body.availability_zone_capabilities.map((c: { name: string }) => c.name)).toEqual([
      'compute_zone',
      'volume_zone',
      'management_network',
      'valid_vip_networks',
    ]);
    expect(res.body.availability_zone_capabilities[0]).toEqual({ name: 'compute_zone', description: 'The compute availability zone.' });
  });

  it('an unknown provider is a 400', async () => {
    expect(await sys.api('GET', '/v2/lbaas/providers/f5/flavor_capabilities')).toMatchObject(fault(400, "Provider 'f5' is not enabled."));
    expect(await sys.api('GET', '/v2/lbaas/providers/f5/availability_zone_capabilities')).toMatchObject(fault(400, "Provider 'f5' is not enabled."));
  });
});
