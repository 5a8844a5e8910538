/**
 * A test system in keystone mode against the Nova + Keystone emulator, with a token for each of
 * Octavia's personas (the emulator's users are named after them; see test/emulators/nova/state.ts).
 */
import { startNovaEmulator, type NovaEmulator } from '../emulators/nova';
import { startTestSystem, type ApiResponse, type TestSystem } from './system';

export type Persona = 'lb-member' | 'lb-observer' | 'lb-global-observer' | 'lb-admin' | 'lb-other' | 'no-lb-role' | 'lb-quota-admin' | 'os-admin';

const projects: Record<Persona, string> = {
  'lb-member': 'demo',
  'lb-observer': 'demo',
  'lb-global-observer': 'demo',
  'lb-admin': 'demo',
  'lb-other': 'other',
  'no-lb-role': 'demo',
  'lb-quota-admin': 'demo',
  'os-admin': 'demo',
};

export interface KeystoneSystem {
  sys: TestSystem;
  keystone: NovaEmulator;
  tokens: Record<Persona, { token: string; projectId: string }>;
  /** A request as one persona (no X-Project-Id: the token decides). */
  as(user: Persona, method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** A new token of a persona (one our API has not validated, hence not cached, yet). */
  login(user: Persona): Promise<string>;
  stop(): Promise<void>;
}

async function login(keystone: NovaEmulator, name: string, project: string) {
  const res = await fetch(`${keystone.authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name, password: name, domain: { name: 'Default' } } } },
        scope: { project: { name: project, domain: { name: 'Default' } } },
      },
    }),
  });
  if (res.status !== 201) throw new Error(`login ${name}: ${res.status}`);
  const body = (await res.json()) as { token: { project: { id: string } } };
  return { token: res.headers.get('x-subject-token')!, projectId: body.token.project.id };
}

export async function startKeystoneSystem(): Promise<KeystoneSystem> {
  const keystone = await startNovaEmulator();
  const sys = await startTestSystem({
    AUTH_STRATEGY: 'keystone',
    OS_AUTH_URL: keystone.authUrl,
    OS_USERNAME: keystone.credentials.username,
    OS_PASSWORD: keystone.credentials.password,
    OS_PROJECT_NAME: keystone.credentials.projectName,
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
  });
  const tokens = {} as KeystoneSystem['tokens'];
  for (const [user, project] of Object.entries(projects) as [Persona, string][]) tokens[user] = await login(keystone, user, project);
  return {
    sys,
    keystone,
    tokens,
    as: (user, method, path, body) => sys.api(method, path, body, { 'x-auth-token': tokens[user].token, 'x-project-id': '' }),
    login: async (user) => (await login(keystone, user, projects[user])).token,
    async stop() {
      await sys.stop();
      await keystone.stop();
    },
  };
}
