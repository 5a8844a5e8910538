#!/usr/bin/python3
"""Expected haproxy.cfg files for the renderer's snapshot tests, rendered by Octavia 11 itself.

Run with Debian's Python (it sees python3-octavia), from the repository root:

    /usr/bin/python3 scripts/octavia-haproxy-oracle.py

It reads the cases of test/fixtures/haproxy/cases.ts (the renderer's own input: a LoadBalancerConfig
and a render context; printed as JSON by `npx tsx`), builds octavia.common.data_models objects from
each, renders them with the amphora driver's combined_listeners JinjaTemplater exactly as
amphora_haproxy_rest_driver.update_amphora_listeners calls it (build_config with the agent's HAProxy
version, tls_certs={}, the [haproxy_amphora] options set in oslo.config), and writes for every case:

    test/fixtures/haproxy/<name>.json   the input, and what Octavia did with it
    test/fixtures/haproxy/<name>.cfg    Octavia's haproxy.cfg (only when it renders one)

Two things are not in the data models and are done here the way Octavia's database layer does them:
`Listener.pools` (db/models.py: the default pool, then the redirect pools of enabled L7 policies that
have rules, each once) and the driver's decision to render nothing when no listener is served by
HAProxy (it deletes the configuration instead). One thing is made deterministic: expand_expected_codes
returns a set, so Octavia joins several expected codes in a per-process random order; the codes are
sorted here (an HAProxy rstatus alternation matches the same statuses in any order).
"""
import json
import os
import sys

from octavia.common import config  # noqa: F401 (registers the options)
from octavia.common import data_models as dm
from octavia.common import utils as octavia_utils
from octavia.common.jinja.haproxy.combined_listeners import jinja_cfg
from oslo_config import cfg

from octavia_models import ROOT, health_monitor, load_cases, members

FIXTURES = os.path.join(ROOT, 'test', 'fixtures', 'haproxy')
LVS_PROTOCOLS = ('UDP', 'SCTP')

_expand = octavia_utils.expand_expected_codes
octavia_utils.expand_expected_codes = lambda codes: sorted(_expand(codes), key=lambda c: (len(c), c))


def apply_options(opts):
    """The [haproxy_amphora] and [amphora_agent] options the template reads."""
    ha = {
        'base_path': opts['basePath'],
        'base_cert_dir': opts['baseCertDir'],
        'connection_logging': opts['connectionLogging'],
        'user_log_format': opts['userLogFormat'],
        'default_connection_limit': opts['defaultConnectionLimit'],
        'haproxy_stick_size': opts['haproxyStickSize'],
        'timeout_client_data': opts['timeoutClientData'],
        'timeout_member_connect': opts['timeoutMemberConnect'],
        'timeout_member_data': opts['timeoutMemberData'],
        'timeout_tcp_inspect': opts['timeoutTcpInspect'],
    }
    for key, value in ha.items():
        cfg.CONF.set_override(key, value, group='haproxy_amphora')
    cfg.CONF.set_override('user_log_facility', opts['userLogFacility'], group='amphora_agent')
    cfg.CONF.set_override('administrative_log_facility', opts['administrativeLogFacility'],
                          group='amphora_agent')


def build_pool(p):
    sp = p['sessionPersistence']
    tls = p['tls']
    return dm.Pool(
        id=p['id'], protocol=p['protocol'], lb_algorithm=p['lbAlgorithm'], enabled=p['enabled'],
        provisioning_status='ACTIVE',
        session_persistence=dm.SessionPersistence(pool_id=p['id'], type=sp['type'],
                                                  cookie_name=sp['cookieName']) if sp else None,
        tls_enabled=tls['enabled'], tls_certificate_id=tls['certificateRef'],
        ca_tls_certificate_id=tls['caCertificateRef'], crl_container_id=tls['crlRef'],
        tls_ciphers=tls['ciphers'], tls_versions=tls['versions'], alpn_protocols=tls['alpnProtocols'],
        members=members(p), health_monitor=health_monitor(p))


def listener_pools(default_pool, policies):
    """Octavia's Listener.pools (db/models.py)."""
    pools = [default_pool] if default_pool else []
    for policy in policies:
        pool = policy.redirect_pool
        if pool is not None and policy.l7rules and policy.enabled is True and pool not in pools:
            pools.append(pool)
    return pools


def build_listener(l, lb, pools):
    tls = l['tls']
    policies = [dm.L7Policy(
        id=p['id'], listener_id=l['id'], action=p['action'], position=p['position'],
        enabled=p['enabled'], redirect_pool_id=p['redirectPoolId'],
        redirect_pool=pools.get(p['redirectPoolId']), redirect_url=p['redirectUrl'],
        redirect_prefix=p['redirectPrefix'], redirect_http_code=p['redirectHttpCode'],
        provisioning_status='ACTIVE',
        l7rules=[dm.L7Rule(
            id=r['id'], l7policy_id=p['id'], type=r['type'], compare_type=r['compareType'],
            key=r['key'], value=r['value'], invert=r['invert'], enabled=r['enabled'],
            provisioning_status='ACTIVE') for r in p['rules']]) for p in l['l7Policies']]
    default_pool = pools.get(l['defaultPoolId'])
    return dm.Listener(
        id=l['id'], project_id=lb.project_id, load_balancer_id=lb.id, load_balancer=lb,
        protocol=l['protocol'], protocol_port=l['protocolPort'], enabled=l['enabled'],
        connection_limit=l['connectionLimit'], default_pool_id=l['defaultPoolId'],
        default_pool=default_pool, l7policies=policies, pools=listener_pools(default_pool, policies),
        insert_headers=l['insertHeaders'], provisioning_status='ACTIVE',
        timeout_client_data=l['timeouts']['clientData'],
        timeout_member_connect=l['timeouts']['memberConnect'],
        timeout_member_data=l['timeouts']['memberData'],
        timeout_tcp_inspect=l['timeouts']['tcpInspect'],
        allowed_cidrs=[dm.ListenerCidr(listener_id=l['id'], cidr=c) for c in l['allowedCidrs']],
        tls_certificate_id=tls['certificateRef'],
        client_ca_tls_certificate_id=tls['clientCaRef'],
        client_authentication=tls['clientAuthentication'],
        client_crl_container_id=tls['clientCrlRef'], tls_ciphers=tls['ciphers'],
        tls_versions=tls['versions'], alpn_protocols=tls['alpnProtocols'])


def render(case):
    c, ctx = case['config'], case['context']
    apply_options(ctx['options'])
    lb = dm.LoadBalancer(
        id=c['loadBalancerId'], project_id=c['projectId'], enabled=c['enabled'],
        topology=c['topology'], vip=dm.Vip(load_balancer_id=c['loadBalancerId'],
                                           ip_address=c['vipAddress']),
        amphorae=[dm.Amphora(id=a['id'], load_balancer_id=c['loadBalancerId'], vrrp_ip=a['vrrpIp'],
                             status=a['status']) for a in ctx['amphorae']])
    pools = {p['id']: build_pool(p) for p in c['pools']}
    lb.pools = list(pools.values())
    lb.listeners = [build_listener(l, lb, pools) for l in c['listeners']]
    # update_amphora_listeners: LVS listeners go to keepalived; none left for HAProxy, no upload.
    served = [l for l in lb.listeners if l.protocol not in LVS_PROTOCOLS]
    if not served:
        return None
    # The host amphora is transformed but never read by the template.
    host = dm.Amphora()
    templater = jinja_cfg.JinjaTemplater(
        base_amp_path=ctx['options']['basePath'], base_crt_dir=ctx['options']['baseCertDir'],
        connection_logging=ctx['options']['connectionLogging'])
    return templater.build_config(host_amphora=host, listeners=served, tls_certs={},
                                  haproxy_versions=ctx['haproxyVersion'].split('.')[:2])


def main():
    cases = load_cases(FIXTURES)
    for name, case in cases.items():
        cfg_text = render(case)
        cfg_path = os.path.join(FIXTURES, name + '.cfg')
        if cfg_text is None:
            if os.path.exists(cfg_path):
                os.remove(cfg_path)
        else:
            with open(cfg_path, 'w') as f:
                f.write(cfg_text)
        record = dict(case, octavia='rendered' if cfg_text is not None else 'no configuration')
        with open(os.path.join(FIXTURES, name + '.json'), 'w') as f:
            json.dump(record, f, indent=2, sort_keys=True)
            f.write('\n')
        print(name, record['octavia'], file=sys.stderr)


if __name__ == '__main__':
    main()
