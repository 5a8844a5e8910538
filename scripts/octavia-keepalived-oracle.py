#!/usr/bin/python3
"""Expected keepalived configurations for the renderers' snapshot tests, rendered by Octavia 11 itself.

Run with Debian's Python (it sees python3-octavia), from the repository root:

    /usr/bin/python3 scripts/octavia-keepalived-oracle.py

It reads the cases of test/fixtures/keepalived/cases.ts (the renderers' own inputs, printed as JSON by
`npx tsx`), builds octavia.common.data_models objects from each and renders them with Octavia's own
templaters, as its drivers call them:

- VRRP: KeepalivedJinjaTemplater.build_keepalived_config(loadbalancer, amphora, amp_net_config), as
  vrrp_rest_driver.update_vrrp_conf does before PUT /1.0/vrrp/upload (amp_net_config in the amphorav2
  dict form: the VIP subnet, no additional VIPs), with the [keepalived_vrrp] and
  [haproxy_amphora] base_path options set in oslo.config;
- LVS: LvsJinjaTemplater.build_config(listener), as amphora_haproxy_rest_driver does before
  PUT /1.0/listeners/<amphora>/<listener>/udp_listener, with [haproxy_amphora] base_path set.

For every case it writes:

    test/fixtures/keepalived/<kind>-<name>.json   the input, and what Octavia did with it
    test/fixtures/keepalived/<kind>-<name>.conf   Octavia's configuration (only when it renders one)

`octavia` in the JSON is "rendered", or "error: <exception>" when Octavia's templater fails on the
input (the TypeScript renderer must refuse it too).
"""
import json
import os
import sys

from octavia.amphorae.drivers.keepalived.jinja import jinja_cfg as vrrp_cfg
from octavia.common import config  # noqa: F401 (registers the options)
from octavia.common import data_models as dm
from octavia.common.jinja.lvs import jinja_cfg as lvs_cfg
from oslo_config import cfg

from octavia_models import ROOT, health_monitor, load_cases, members

FIXTURES = os.path.join(ROOT, 'test', 'fixtures', 'keepalived')
VRRP_OPTIONS = {
    'vrrpCheckInterval': 'vrrp_check_interval',
    'vrrpFailCount': 'vrrp_fail_count',
    'vrrpSuccessCount': 'vrrp_success_count',
    'vrrpGarpRefreshInterval': 'vrrp_garp_refresh_interval',
    'vrrpGarpRefreshCount': 'vrrp_garp_refresh_count',
    'vrrpAdvertInt': 'vrrp_advert_int',
}


def render_vrrp(case):
    inp = case['input']
    for ours, theirs in VRRP_OPTIONS.items():
        cfg.CONF.set_override(theirs, case['options'][ours], group='keepalived_vrrp')
    cfg.CONF.set_override('base_path', case['basePath'], group='haproxy_amphora')
    group = inp['group']
    me = inp['amphora']
    lb = dm.LoadBalancer(
        id='lb', vip=dm.Vip(ip_address=inp['vipAddress']),
        amphorae=[dm.Amphora(id=a['id'], vrrp_ip=a['vrrpIp'], status=a['status'])
                  for a in inp['amphorae']],
        vrrp_group=dm.VRRPGroup(vrrp_group_name=group['name'], vrrp_auth_type=group['authType'],
                                vrrp_auth_pass=group['authPass'], advert_int=group['advertInt']))
    amphora = dm.Amphora(role=me['role'], vrrp_ip=me['vrrpIp'], vrrp_interface=me['vrrpInterface'],
                         vrrp_id=me['vrrpId'], vrrp_priority=me['vrrpPriority'], status='ALLOCATED')
    subnet = inp['vipSubnet']
    net = {'additional_vip_data': [],
           'vip_subnet': {'cidr': subnet['subnetCidr'], 'gateway_ip': subnet['gateway'],
                          'host_routes': subnet['hostRoutes']}}
    return vrrp_cfg.KeepalivedJinjaTemplater().build_keepalived_config(lb, amphora, net)


def build_pool(p):
    sp = p['sessionPersistence']
    return dm.Pool(
        id=p['id'], protocol=p['protocol'], lb_algorithm=p['lbAlgorithm'], enabled=p['enabled'],
        provisioning_status='ACTIVE',
        session_persistence=dm.SessionPersistence(
            pool_id=p['id'], type=sp['type'], cookie_name=sp['cookieName'],
            persistence_timeout=sp['persistenceTimeout'],
            persistence_granularity=sp['persistenceGranularity']) if sp else None,
        members=members(p), health_monitor=health_monitor(p))


def render_lvs(case):
    c = case['config']
    cfg.CONF.set_override('base_path', case['basePath'], group='haproxy_amphora')
    lb = dm.LoadBalancer(id=c['loadBalancerId'], project_id=c['projectId'], enabled=c['enabled'],
                         topology=c['topology'],
                         vip=dm.Vip(load_balancer_id=c['loadBalancerId'], ip_address=c['vipAddress']))
    pools = {p['id']: build_pool(p) for p in c['pools']}
    lb.pools = list(pools.values())
    lb.listeners = [dm.Listener(
        id=l['id'], project_id=c['projectId'], load_balancer_id=lb.id, load_balancer=lb,
        protocol=l['protocol'], protocol_port=l['protocolPort'], enabled=l['enabled'],
        connection_limit=l['connectionLimit'], default_pool_id=l['defaultPoolId'],
        default_pool=pools.get(l['defaultPoolId']), provisioning_status='ACTIVE')
        for l in c['listeners']]
    listener = next(l for l in lb.listeners if l.id == case['listenerId'])
    return lvs_cfg.LvsJinjaTemplater(base_amp_path=case['basePath']).build_config(listener)


def main():
    cases = load_cases(FIXTURES)
    renderers = {'vrrp': render_vrrp, 'lvs': render_lvs}
    for kind, kind_cases in cases.items():
        for name, case in kind_cases.items():
            stem = os.path.join(FIXTURES, '{}-{}'.format(kind, name))
            try:
                text, outcome = renderers[kind](case), 'rendered'
            except Exception as e:  # what Octavia fails on is part of the record
                text, outcome = None, 'error: {}: {}'.format(type(e).__name__, e)
            if text is None:
                if os.path.exists(stem + '.conf'):
                    os.remove(stem + '.conf')
            else:
                with open(stem + '.conf', 'w') as f:
                    f.write(text)
            with open(stem + '.json', 'w') as f:
                json.dump(dict(case, octavia=outcome), f, indent=2, sort_keys=True)
                f.write('\n')
            print(kind, name, outcome, file=sys.stderr)


if __name__ == '__main__':
    main()
