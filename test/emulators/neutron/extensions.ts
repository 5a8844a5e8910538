/**
 * The API extensions the emulated Neutron can announce (`GET /v2.0/extensions[/<alias>]`). The four
 * Octavia's driver checks are as recorded (09-13); the others are what the emulator models. By default
 * every one but `dns-integration` is on, as in the recording (10: 404).
 */
export interface Extension {
  name: string;
  alias: string;
  description: string;
  updated: string;
  links: [];
}

const ext = (alias: string, name: string, description: string, updated: string): Extension => ({ name, alias, description, updated, links: [] });

export const EXTENSIONS: Extension[] = [
  ext('security-group', 'security-group', 'The security groups extension.', '2012-10-05T10:00:00-00:00'),
  ext('qos', 'Quality of Service', 'The Quality of Service extension.', '2015-06-08T10:00:00-00:00'),
  ext('allowed-address-pairs', 'Allowed Address Pairs', 'Provides allowed address pairs', '2013-07-23T10:00:00-00:00'),
  ext('project-id', 'project_id field enabled', 'Extension that indicates that project_id field is enabled.', '2016-09-09T09:09:09-09:09'),
  ext('binding', 'Port Binding', 'Expose port bindings of a virtual port to external application', '2014-02-03T10:00:00-00:00'),
  ext('port-security', 'Port Security', 'Provides port security', '2012-07-23T10:00:00-00:00'),
  ext('network-ip-availability', 'Network IP Availability', 'Provides IP availability data for each network and subnet.', '2015-09-24T00:00:00-00:00'),
  ext('provider', 'Provider Network', 'Expose mapping of virtual networks to physical networks', '2012-09-07T10:00:00-00:00'),
  ext('dns-integration', 'DNS Integration', 'Provides integration with DNS.', '2015-08-15T18:00:00-00:00'),
];

export const DEFAULT_EXTENSIONS = EXTENSIONS.map((e) => e.alias).filter((a) => a !== 'dns-integration');
