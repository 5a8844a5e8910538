/** The log never holds a secret, wherever in a line it stands, and says everything else as it is. */
import { captureLogs } from '../support/logs';

const SECRET = 's3cr3t-value';

describe('the logger', () => {
  it('censors secret fields at any depth, in arrays, whatever the case of their name', () => {
    const logs = captureLogs();
    logs.log.info(
      {
        password: SECRET,
        req: { headers: { 'x-auth-token': SECRET, Authorization: SECRET, accept: 'application/json' } },
        a: { b: { c: { d: { e: { f: { adminPass: SECRET, kept: 6 } } } } } },
        servers: [{ name: 'amphora-1', key: SECRET }, { name: 'amphora-2', Private_Key: SECRET }],
      },
      'a request',
    );
    expect(logs.raw.join('\n')).not.toContain(SECRET);
    const [line] = logs.lines();
    expect(line).toMatchObject({
      password: '***',
      req: { headers: { 'x-auth-token': '***', Authorization: '***', accept: 'application/json' } },
      a: { b: { c: { d: { e: { f: { adminPass: '***', kept: 6 } } } } } },
      servers: [{ name: 'amphora-1', key: '***' }, { name: 'amphora-2', Private_Key: '***' }],
      msg: 'a request',
    });
  });

  it("censors a child logger's bindings and what the error serializer keeps of an error", () => {
    const logs = captureLogs();
    const child = logs.log.child({ component: 'nova', auth: { username: 'octavia', password: SECRET } });
    const err = Object.assign(new Error('boom', { cause: new Error('inner') }), { code: 'E1', token: SECRET });
    child.error({ err }, 'failed');
    expect(logs.raw.join('\n')).not.toContain(SECRET);
    const [line] = logs.lines();
    expect(line).toMatchObject({ component: 'nova', auth: { username: 'octavia', password: '***' }, msg: 'failed' });
    expect(line!.err).toMatchObject({ type: 'Error', message: 'boom', code: 'E1' });
    expect(JSON.stringify(line!.err)).toContain('inner');
  });

  it("walks what JSON would write: an object's toJSON, and survives a cycle", () => {
    const logs = captureLogs();
    const guarded = { toJSON: () => ({ shown: 'yes', secret: SECRET }) };
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    logs.log.info({ guarded, cyclic, when: new Date(0) }, 'shapes');
    expect(logs.raw.join('\n')).not.toContain(SECRET);
    expect(logs.lines()[0]).toMatchObject({
      guarded: { shown: 'yes', secret: '***' },
      cyclic: { name: 'loop', self: '[Circular]' },
      when: '1970-01-01T00:00:00.000Z',
    });
  });
});
