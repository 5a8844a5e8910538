// Gophercloud's load-balancer packages (the Go SDK behind Terraform's OpenStack provider) through a
// whole lifecycle against our API in noauth mode: quotas, a single-call create, the tree made one
// object at a time, updates, lists, the status tree, statistics and the cascade delete. It prints one
// line per step; test/integration/gophercloud.test.ts builds it, runs it and compares the lines.
//
// Usage: lifecycle <api url> <project id>                          (noauth: the project in X-Project-Id)
//
//	lifecycle --keystone <auth url> <user> <password> <project>  (Keystone v3; the endpoint from its catalog)
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
	"github.com/gophercloud/gophercloud/v2/openstack/loadbalancer/v2/l7policies"
	"github.com/gophercloud/gophercloud/v2/openstack/loadbalancer/v2/listeners"
	"github.com/gophercloud/gophercloud/v2/openstack/loadbalancer/v2/loadbalancers"
	"github.com/gophercloud/gophercloud/v2/openstack/loadbalancer/v2/monitors"
	"github.com/gophercloud/gophercloud/v2/openstack/loadbalancer/v2/pools"
	"github.com/gophercloud/gophercloud/v2/openstack/loadbalancer/v2/quotas"
)

const subnet = "8b4b4c0a-5a0e-4e0a-9a55-0c1b1f0d2a11"

var ctx = context.Background()

func must[T any](v T, err error) T {
	if err != nil {
		fail(err)
	}
	return v
}

func check(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "error:", err)
	os.Exit(1)
}

func say(format string, args ...any) { fmt.Printf(format+"\n", args...) }

func ptr[T any](v T) *T { return &v }

// client is what openstack.NewLoadBalancerV2 makes of a catalog's load-balancer endpoint (resource
// base <endpoint>/v2/), with no identity service: noauth, the project in X-Project-Id.
func client(endpoint, project string) *gophercloud.ServiceClient {
	provider := &gophercloud.ProviderClient{HTTPClient: http.Client{Timeout: 30 * time.Second}}
	provider.UserAgent.Prepend("octavia-temporal-gophercloud-test")
	endpoint = strings.TrimSuffix(endpoint, "/") + "/"
	return &gophercloud.ServiceClient{
		ProviderClient: provider,
		Endpoint:       endpoint,
		ResourceBase:   endpoint + "v2/",
		Type:           "load-balancer",
		MoreHeaders:    map[string]string{"X-Project-Id": project},
	}
}

// waitActive polls the load balancer until it has left PENDING_* (as Terraform's provider does).
func waitActive(c *gophercloud.ServiceClient, id string) *loadbalancers.LoadBalancer {
	deadline := time.Now().Add(60 * time.Second)
	for {
		lb := must(loadbalancers.Get(ctx, c, id).Extract())
		if !strings.HasPrefix(lb.ProvisioningStatus, "PENDING") {
			if lb.ProvisioningStatus != "ACTIVE" {
				fail(fmt.Errorf("load balancer %s is %s", id, lb.ProvisioningStatus))
			}
			return lb
		}
		if time.Now().After(deadline) {
			fail(fmt.Errorf("load balancer %s still %s", id, lb.ProvisioningStatus))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitGone(c *gophercloud.ServiceClient, id string) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		err := loadbalancers.Get(ctx, c, id).Err
		if gophercloud.ResponseCodeIs(err, http.StatusNotFound) {
			return
		}
		check(err)
		time.Sleep(100 * time.Millisecond)
	}
	fail(fmt.Errorf("load balancer %s not gone", id))
}

func statusOf(err error) int {
	var e gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &e) {
		return e.Actual
	}
	return 0
}

// keystoneClient authenticates as Terraform's provider does (password, project scope) and finds the
// load-balancer endpoint in the token's catalog; the project is the token's.
func keystoneClient(authURL, user, password, projectName string) (*gophercloud.ServiceClient, string) {
	provider := must(openstack.AuthenticatedClient(ctx, gophercloud.AuthOptions{
		IdentityEndpoint: authURL,
		Username:         user,
		Password:         password,
		DomainName:       "Default",
		TenantName:       projectName,
	}))
	result, ok := provider.GetAuthResult().(tokens.CreateResult)
	if !ok {
		fail(errors.New("not a Keystone v3 token"))
	}
	project := must(result.ExtractProject())
	return must(openstack.NewLoadBalancerV2(provider, gophercloud.EndpointOpts{Region: "RegionOne"})), project.ID
}

func main() {
	var c *gophercloud.ServiceClient
	var project string
	switch {
	case len(os.Args) == 3:
		project = os.Args[2]
		c = client(os.Args[1], project)
	case len(os.Args) == 6 && os.Args[1] == "--keystone":
		c, project = keystoneClient(os.Args[2], os.Args[3], os.Args[4], os.Args[5])
	default:
		fail(errors.New("usage: lifecycle <api url> <project id> | lifecycle --keystone <auth url> <user> <password> <project>"))
	}

	// Quotas at /v2/quotas (gophercloud's path; Terraform's openstack_lb_quota_v2).
	q := must(quotas.Update(ctx, c, project, quotas.UpdateOpts{Loadbalancer: ptr(5), Listener: ptr(10), Member: ptr(20), Pool: ptr(10), Healthmonitor: ptr(10), L7Policy: ptr(10), L7Rule: ptr(10)}).Extract())
	say("quota set loadbalancer %d listener %d member %d", q.Loadbalancer, q.Listener, q.Member)
	q = must(quotas.Get(ctx, c, project).Extract())
	say("quota get loadbalancer %d healthmonitor %d l7rule %d", q.Loadbalancer, q.Healthmonitor, q.L7Rule)

	// A single-call create: the whole tree in one request.
	full := loadbalancers.CreateOpts{
		Name:        "go-graph",
		VipSubnetID: subnet,
		Tags:        []string{"gophercloud"},
		Listeners: []listeners.CreateOpts{{
			Name:         "go-http",
			Protocol:     listeners.ProtocolHTTP,
			ProtocolPort: 80,
			DefaultPool: &pools.CreateOpts{
				Name:     "go-web",
				LBMethod: pools.LBMethodRoundRobin,
				Protocol: pools.ProtocolHTTP,
				Members: []pools.CreateMemberOpts{
					{Address: "10.0.0.11", ProtocolPort: 8080},
					{Address: "10.0.0.12", ProtocolPort: 8080, Weight: ptr(3)},
				},
				Monitor: monitors.CreateOpts{Type: monitors.TypeHTTP, Delay: 2, Timeout: 1, MaxRetries: 2, URLPath: "/health"},
			},
			L7Policies: []l7policies.CreateOpts{{
				Name:        "go-moved",
				Action:      l7policies.ActionRedirectToURL,
				RedirectURL: "http://www.example.com/",
				Rules:       []l7policies.CreateRuleOpts{{RuleType: l7policies.TypePath, CompareType: l7policies.CompareTypeStartWith, Value: "/old"}},
			}},
		}},
		Pools: []pools.CreateOpts{{Name: "go-spare", LBMethod: pools.LBMethodLeastConnections, Protocol: pools.ProtocolTCP}},
	}
	lb := must(loadbalancers.Create(ctx, c, full).Extract())
	members := 0
	for _, p := range lb.Pools {
		members += len(p.Members)
	}
	say("graph created %s listeners %d pools %d members %d policies %d rules %d", lb.ProvisioningStatus,
		len(lb.Listeners), len(lb.Pools), members, len(lb.Listeners[0].L7Policies), len(lb.Listeners[0].L7Policies[0].Rules))
	pending := lb.Listeners[0].ProvisioningStatus == "PENDING_CREATE" && lb.Listeners[0].L7Policies[0].ProvisioningStatus == "PENDING_CREATE"
	for _, p := range lb.Pools {
		pending = pending && p.ProvisioningStatus == "PENDING_CREATE"
		for _, m := range p.Members {
			pending = pending && m.ProvisioningStatus == "PENDING_CREATE"
		}
	}
	say("graph children pending %t", pending)
	// The answer is the only place the tree's ids are all given at once; a GET shows references.
	created := lb
	httpListener := created.Listeners[0]
	lb = waitActive(c, lb.ID)
	say("graph loadbalancer %s", lb.ProvisioningStatus)
	tree := must(loadbalancers.GetStatuses(ctx, c, lb.ID).Extract())
	l := tree.Loadbalancer.Listeners[0]
	say("graph status tree %s listener %s pool %s members %d", tree.Loadbalancer.ProvisioningStatus, l.ProvisioningStatus,
		l.Pools[0].ProvisioningStatus, len(l.Pools[0].Members))
	webPool := must(pools.Get(ctx, c, httpListener.DefaultPoolID).Extract())
	monitor := must(monitors.Get(ctx, c, webPool.MonitorID).Extract())
	say("graph pool %s monitor %s %s %s", webPool.Name, monitor.Type, monitor.URLPath, monitor.ProvisioningStatus)
	policy := must(l7policies.Get(ctx, c, httpListener.L7Policies[0].ID).Extract())
	say("graph policy %s %s rules %d", policy.Action, policy.ProvisioningStatus, len(policy.Rules))

	// The quota holds for a single-call create too: no listener allowed, nothing made.
	must(quotas.Update(ctx, c, project, quotas.UpdateOpts{Listener: ptr(1)}).Extract())
	full.Name = "go-over-quota"
	err := loadbalancers.Create(ctx, c, full).Err
	say("over quota %d", statusOf(err))
	check(quotas.Delete(ctx, c, project).ExtractErr())
	q = must(quotas.Get(ctx, c, project).Extract())
	say("quota reset listener %d", q.Listener)

	// One object at a time on the same load balancer, each awaited as Terraform does.
	li := must(listeners.Create(ctx, c, listeners.CreateOpts{Name: "go-tcp", Protocol: listeners.ProtocolTCP, ProtocolPort: 8443, LoadbalancerID: lb.ID}).Extract())
	waitActive(c, lb.ID)
	pool := must(pools.Create(ctx, c, pools.CreateOpts{Name: "go-tcp-pool", ListenerID: li.ID, LBMethod: pools.LBMethodSourceIp, Protocol: pools.ProtocolTCP}).Extract())
	waitActive(c, lb.ID)
	m := must(pools.CreateMember(ctx, c, pool.ID, pools.CreateMemberOpts{Name: "go-m1", Address: "10.0.1.5", ProtocolPort: 443}).Extract())
	waitActive(c, lb.ID)
	mon := must(monitors.Create(ctx, c, monitors.CreateOpts{PoolID: pool.ID, Type: monitors.TypeTCP, Delay: 5, Timeout: 3, MaxRetries: 3}).Extract())
	waitActive(c, lb.ID)
	pol := must(l7policies.Create(ctx, c, l7policies.CreateOpts{ListenerID: httpListener.ID, Action: l7policies.ActionReject, Position: 1}).Extract())
	waitActive(c, lb.ID)
	rule := must(l7policies.CreateRule(ctx, c, pol.ID, l7policies.CreateRuleOpts{RuleType: l7policies.TypeHostName, CompareType: l7policies.CompareTypeEqual, Value: "bad.example"}).Extract())
	waitActive(c, lb.ID)
	say("made listener %s pool %s member %s monitor %s policy %s rule %s", li.ProvisioningStatus, pool.ProvisioningStatus,
		m.ProvisioningStatus, mon.ProvisioningStatus, pol.ProvisioningStatus, rule.ProvisioningStatus)

	// Updates.
	must(loadbalancers.Update(ctx, c, lb.ID, loadbalancers.UpdateOpts{Name: ptr("go-graph-renamed")}).Extract())
	waitActive(c, lb.ID)
	must(listeners.Update(ctx, c, li.ID, listeners.UpdateOpts{ConnLimit: ptr(100)}).Extract())
	waitActive(c, lb.ID)
	must(pools.UpdateMember(ctx, c, pool.ID, m.ID, pools.UpdateMemberOpts{Weight: ptr(7)}).Extract())
	waitActive(c, lb.ID)
	must(monitors.Update(ctx, c, mon.ID, monitors.UpdateOpts{Delay: 9}).Extract())
	waitActive(c, lb.ID)
	got := must(loadbalancers.Get(ctx, c, lb.ID).Extract())
	gotListener := must(listeners.Get(ctx, c, li.ID).Extract())
	gotMember := must(pools.GetMember(ctx, c, pool.ID, m.ID).Extract())
	gotMonitor := must(monitors.Get(ctx, c, mon.ID).Extract())
	say("updated %s connection_limit %d weight %d delay %d", got.Name, gotListener.ConnLimit, gotMember.Weight, gotMonitor.Delay)

	// Lists, filtered as the SDK filters them.
	allListeners := must(listeners.List(c, listeners.ListOpts{LoadbalancerID: lb.ID}).AllPages(ctx))
	ls := must(listeners.ExtractListeners(allListeners))
	names := []string{}
	for _, x := range ls {
		names = append(names, x.Name)
	}
	sort.Strings(names)
	allPools := must(pools.List(c, pools.ListOpts{LoadbalancerID: lb.ID}).AllPages(ctx))
	ps := must(pools.ExtractPools(allPools))
	allMembers := must(pools.ListMembers(c, webPool.ID, pools.ListMembersOpts{}).AllPages(ctx))
	ms := must(pools.ExtractMembers(allMembers))
	say("listed listeners %s pools %d members %d", strings.Join(names, ","), len(ps), len(ms))
	found := must(loadbalancers.List(c, loadbalancers.ListOpts{Name: "go-graph-renamed"}).AllPages(ctx))
	lbs := must(loadbalancers.ExtractLoadBalancers(found))
	say("found %d", len(lbs))

	stats := must(loadbalancers.GetStats(ctx, c, lb.ID).Extract())
	say("stats active_connections %d", stats.ActiveConnections)

	// Member batch update (PUT /pools/{id}/members), as Terraform's openstack_lb_members_v2.
	check(pools.BatchUpdateMembers(ctx, c, pool.ID, []pools.BatchUpdateMemberOpts{
		{Address: "10.0.1.5", ProtocolPort: 443},
		{Address: "10.0.1.6", ProtocolPort: 443},
	}).ExtractErr())
	waitActive(c, lb.ID)
	allMembers = must(pools.ListMembers(c, pool.ID, pools.ListMembersOpts{}).AllPages(ctx))
	say("batch members %d", len(must(pools.ExtractMembers(allMembers))))

	// Deletes: one child, then the cascade.
	check(l7policies.Delete(ctx, c, pol.ID).ExtractErr())
	waitActive(c, lb.ID)
	err = l7policies.Get(ctx, c, pol.ID).Err
	say("policy deleted %t", gophercloud.ResponseCodeIs(err, http.StatusNotFound))
	check(loadbalancers.Delete(ctx, c, lb.ID, loadbalancers.DeleteOpts{Cascade: true}).ExtractErr())
	waitGone(c, lb.ID)
	err = listeners.Get(ctx, c, li.ID).Err
	say("cascade deleted %t", gophercloud.ResponseCodeIs(err, http.StatusNotFound))
}
