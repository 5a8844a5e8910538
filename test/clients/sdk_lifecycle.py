"""The full lifecycle of a load balancer driven by openstacksdk, unmodified, in noauth mode.

Usage: sdk_lifecycle.py <endpoint> <project_id>. Prints one line per step; exits non-zero on any error.
"""
import sys
import time

import openstack

endpoint, project_id = sys.argv[1], sys.argv[2]
conn = openstack.connection.Connection(
    auth_type="none",
    auth={"endpoint": endpoint},
    load_balancer_endpoint_override=endpoint,
)
lb_api = conn.load_balancer
SUBNET = "8b4b4c0a-5a0e-4e0a-9a55-0c1b1f0d2a11"


def step(name, value=""):
    print(f"{name} {value}".strip(), flush=True)


def wait_lb(lb):
    return lb_api.wait_for_load_balancer(lb.id, status="ACTIVE", failures=["ERROR"], interval=0.2, wait=60)


lb = lb_api.create_load_balancer(name="sdk-lb", vip_subnet_id=SUBNET, project_id=project_id)
step("created loadbalancer", lb.provisioning_status)
lb = wait_lb(lb)
step("loadbalancer", lb.provisioning_status)

listener = lb_api.create_listener(name="sdk-listener", protocol="HTTP", protocol_port=80, load_balancer_id=lb.id)
wait_lb(lb)
step("listener", lb_api.get_listener(listener.id).provisioning_status)

pool = lb_api.create_pool(name="sdk-pool", protocol="HTTP", lb_algorithm="ROUND_ROBIN", listener_id=listener.id)
wait_lb(lb)
step("pool", lb_api.get_pool(pool.id).provisioning_status)

for address in ("10.0.0.10", "10.0.0.11"):
    lb_api.create_member(pool, address=address, protocol_port=8080)
    wait_lb(lb)
members = list(lb_api.members(pool))
step("members", len(members))

hm = lb_api.create_health_monitor(pool_id=pool.id, type="HTTP", delay=5, timeout=3, max_retries=3)
wait_lb(lb)
step("healthmonitor", lb_api.get_health_monitor(hm.id).provisioning_status)

lb_api.update_load_balancer(lb, name="sdk-lb-renamed")
lb = wait_lb(lb)
step("updated", lb_api.get_load_balancer(lb.id).name)

lb_api.update_member(members[0], pool, weight=5)
wait_lb(lb)
step("member weight", lb_api.get_member(members[0], pool).weight)

found = lb_api.find_load_balancer("sdk-lb-renamed")
step("found", found.id == lb.id)

tree = lb_api.get(f"/lbaas/loadbalancers/{lb.id}/status").json()["statuses"]["loadbalancer"]
step("status tree listeners", len(tree["listeners"]))
step("status tree members", len(tree["listeners"][0]["pools"][0]["members"]))

stats = lb_api.get_load_balancer_statistics(lb.id)
step("stats active_connections", stats.active_connections)

lb_api.delete_load_balancer(lb, cascade=True)
for _ in range(300):  # this SDK release has no wait_for_delete for load balancers
    if lb_api.find_load_balancer(lb.id) is None:
        break
    time.sleep(0.2)
step("deleted", lb_api.find_load_balancer(lb.id) is None)
