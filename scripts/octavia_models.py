"""What the template oracles (scripts/octavia-*-oracle.py) share: reading the renderers' cases, and
building Octavia 11's data models of a pool's members and health monitor from them (the renderers'
PoolConfig, test/fixtures/*/cases.ts), as Octavia's database layer loads them.
"""
import json
import os
import subprocess

from octavia.common import data_models as dm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The database's enum spells these with underscores; Octavia's constants have hyphens.
HM_TYPES = {'TLS_HELLO': 'TLS-HELLO', 'UDP_CONNECT': 'UDP-CONNECT'}


def load_cases(fixtures):
    """The cases of <fixtures>/cases.ts, printed as JSON by `npx tsx`."""
    out = subprocess.run(['npx', 'tsx', os.path.join(fixtures, 'cases.ts')], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def members(p):
    return [dm.Member(
        id=m['id'], pool_id=p['id'], ip_address=m['address'], protocol_port=m['protocolPort'],
        weight=m['weight'], backup=m['backup'], enabled=m['enabled'],
        monitor_address=m['monitorAddress'], monitor_port=m['monitorPort'],
        provisioning_status='ACTIVE') for m in p['members']]


def health_monitor(p):
    hm = p['healthMonitor']
    if not hm:
        return None
    return dm.HealthMonitor(
        id=hm['id'], pool_id=p['id'], type=HM_TYPES.get(hm['type'], hm['type']),
        delay=hm['delay'], timeout=hm['timeout'], fall_threshold=hm['maxRetriesDown'],
        rise_threshold=hm['maxRetries'], http_method=hm['httpMethod'], url_path=hm['urlPath'],
        expected_codes=hm['expectedCodes'], enabled=hm['enabled'],
        # A float column in Octavia's database (JSON has 1 for 1.0).
        http_version=None if hm.get('httpVersion') is None else float(hm['httpVersion']),
        domain_name=hm.get('domainName'),
        provisioning_status='ACTIVE')
