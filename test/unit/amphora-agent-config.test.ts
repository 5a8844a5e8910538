/**
 * amphora-agent.conf as Octavia 11's AgentJinjaTemplater renders it (the fixtures were rendered by
 * Octavia's own code, python3-octavia 11.0.0), and the config drive an amphora is built with.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validateBuildRequest } from '../../drivers/compute/port';
import { AmphoraDriverError } from '../../drivers/amphora/errors';
import { AGENT_CONFIG_PATH, amphoraConfigDriveFiles, DEFAULT_AGENT_CONFIG, renderAgentConfig, type AgentConfigSettings } from '../../drivers/amphora/rest/agent-config';
import { loadSample } from '../emulators/amphora-agent';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'reference', 'amphora-agent');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const AMPHORA_ID = 'a5a5a5a5-0000-4000-8000-000000000001';

const settings: AgentConfigSettings = {
  ...DEFAULT_AGENT_CONFIG,
  controllerIpPortList: ['127.0.0.1:5555', '127.0.0.2:5555'],
  heartbeatInterval: 10,
  heartbeatKey: 'insecure-test-heartbeat-key',
};

/** An ini file as section -> key -> value. */
function ini(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section = '';
  for (const line of text.split('\n')) {
    const header = /^\[(.+)\]$/.exec(line);
    if (header) out[(section = header[1]!)] = {};
    const kv = /^(\w+) = (.*)$/.exec(line);
    if (kv) out[section]![kv[1]!] = kv[2]!;
  }
  return out;
}

describe('amphora-agent.conf', () => {
  it("is byte for byte what Octavia's template renders with its defaults", () => {
    expect(renderAgentConfig(settings, { amphoraId: AMPHORA_ID, topology: 'ACTIVE_STANDBY' })).toBe(fixture('octavia-agent-conf-active-standby.conf'));
  });

  it('renders agent_server_network_dir only when set, and debug as Python prints it', () => {
    const rendered = renderAgentConfig(
      { ...settings, debug: true, heartbeatInterval: 3, agentServerNetworkDir: '/etc/octavia/interfaces/' },
      { amphoraId: AMPHORA_ID, topology: 'SINGLE' },
    );
    expect(rendered).toBe(fixture('octavia-agent-conf-network-dir-debug.conf'));
  });

  it('logs to a file instead of syslog when asked, with every key the reference rig gave the real agent', () => {
    const rig = loadSample('20-update-agent-config.json').request_body as string;
    const rendered = renderAgentConfig(
      { ...settings, debug: true, logFile: '/var/log/amphora-agent-oslo.log', controllerIpPortList: ['169.254.150.1:15555'], heartbeatInterval: 3, heartbeatKey: 'insecure-reference-heartbeat-key' },
      { amphoraId: AMPHORA_ID, topology: 'SINGLE' },
    );
    expect(ini(rendered)).toEqual(ini(rig));
  });

  it('refuses what the agent could not read: a fractional interval, a line break in a value', () => {
    const target = { amphoraId: AMPHORA_ID, topology: 'SINGLE' as const };
    expect(() => renderAgentConfig({ ...settings, heartbeatInterval: 0.5 }, target)).toThrow(AmphoraDriverError);
    expect(() => renderAgentConfig({ ...settings, heartbeatKey: 'k\n[amphora_agent]\nagent_server_ca = /tmp/evil' }, target)).toThrow(/line break/);
    expect(() => renderAgentConfig(settings, { ...target, amphoraId: 'x\ny' })).toThrow(/line break/);
  });

  it('does not HTML-escape a heartbeat key (Octavia autoescapes it, and the agent would sign with another key)', () => {
    const rendered = renderAgentConfig({ ...settings, heartbeatKey: 'a&b<c>' }, { amphoraId: AMPHORA_ID, topology: 'SINGLE' });
    expect(rendered).toContain('\nheartbeat_key = a&b<c>\n');
  });
});

describe('the config drive of an amphora', () => {
  const agentConfig = renderAgentConfig(settings, { amphoraId: AMPHORA_ID, topology: 'SINGLE' });

  it('holds the agent configuration, its server certificate and the client CA where the configuration says, within the compute limits', () => {
    const files = amphoraConfigDriveFiles(settings, { agentConfig, serverPem: 'SERVER PEM', clientCaPem: 'CLIENT CA' });
    expect(files).toEqual({
      [AGENT_CONFIG_PATH]: agentConfig,
      '/etc/octavia/certs/server.pem': 'SERVER PEM',
      '/etc/octavia/certs/client_ca.pem': 'CLIENT CA',
    });
    expect(AGENT_CONFIG_PATH).toBe('/etc/octavia/amphora-agent.conf');
    expect(() => validateBuildRequest({ name: `amphora-${AMPHORA_ID}`, configDriveFiles: files })).not.toThrow();
  });

  it('follows agent_server_cert / agent_server_ca and refuses a file over 10 KiB', () => {
    const custom = { agentServerCert: '/etc/octavia/certs/amp.pem', agentServerCa: '/etc/octavia/certs/ca.pem' };
    expect(Object.keys(amphoraConfigDriveFiles(custom, { agentConfig, serverPem: 'x', clientCaPem: 'y' })).sort()).toEqual([AGENT_CONFIG_PATH, ...Object.values(custom)].sort());
    expect(() => amphoraConfigDriveFiles(settings, { agentConfig, serverPem: 'x'.repeat(10 * 1024 + 1), clientCaPem: 'y' })).toThrow(/server\.pem is 10241 bytes/);
    expect(() => amphoraConfigDriveFiles({ agentServerCert: AGENT_CONFIG_PATH, agentServerCa: 'y' }, { agentConfig, serverPem: 'x', clientCaPem: 'y' })).toThrow(/different paths/);
  });
});
