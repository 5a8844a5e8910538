/** The settings that point our OpenStack clients at the Nova emulator. */
import type { NovaEmulator } from '../emulators/nova';

/** The emulator's service account as the OS_* settings every OpenStack client of ours reads. */
export function novaCredentialsEnv(nova: NovaEmulator): Record<string, string> {
  const c = nova.credentials;
  return {
    OS_AUTH_URL: nova.authUrl,
    OS_USERNAME: c.username,
    OS_PASSWORD: c.password,
    OS_PROJECT_NAME: c.projectName,
    OS_USER_DOMAIN_NAME: c.userDomainName,
    OS_PROJECT_DOMAIN_NAME: c.projectDomainName,
    OS_REGION_NAME: c.regionName,
  };
}
