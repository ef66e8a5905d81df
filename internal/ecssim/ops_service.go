package ecssim

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// serviceEchoed are the members of CreateService and UpdateService that
// DescribeServices returns as they were set.
var serviceEchoed = []string{
	"serviceRegistries", "launchType", "capacityProviderStrategy", "platformVersion", "deploymentConfiguration",
	"placementConstraints", "placementStrategy", "networkConfiguration", "healthCheckGracePeriodSeconds",
	"schedulingStrategy", "deploymentController", "enableECSManagedTags", "propagateTags", "enableExecuteCommand",
	"availabilityZoneRebalancing",
}

type serviceInput struct {
	Tags                    []wireTag                    `json:"tags"`
	Include                 []string                     `json:"include"`
	Cluster                 string                       `json:"cluster"`
	ServiceName             string                       `json:"serviceName"`
	Service                 string                       `json:"service"`
	TaskDefinition          string                       `json:"taskDefinition"`
	DesiredCount            *int32                       `json:"desiredCount"`
	LoadBalancers           []wireLoadBalancer           `json:"loadBalancers"`
	DeploymentConfiguration *wireDeploymentConfiguration `json:"deploymentConfiguration"`
	ForceNewDeployment      bool                         `json:"forceNewDeployment"`
	Force                   bool                         `json:"force"`
}

func (s *Simulator) createService(body []byte, now time.Time) (any, *apiError) {
	var in serviceInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if in.ServiceName == "" {
		return nil, clientErr("InvalidParameterException", "serviceName is required.")
	}
	if old := c.services[in.ServiceName]; old != nil && old.status != "INACTIVE" {
		return nil, clientErr("InvalidParameterException", "Creation of service was not idempotent.")
	}
	td, err := s.deployable(in.TaskDefinition)
	if err != nil {
		return nil, err
	}
	svc := &service{
		cluster: c, name: in.ServiceName, arn: s.arn("service/" + c.name + "/" + in.ServiceName),
		status: "ACTIVE", desired: 1, taskDef: td, loadBalancers: in.LoadBalancers, createdAt: now,
		scenario: s.scenarios[c.name+"/"+in.ServiceName], echo: newEcho(body, serviceEchoed...),
	}
	if in.DesiredCount != nil {
		svc.desired = *in.DesiredCount
	}
	if dc := in.DeploymentConfiguration; dc != nil && dc.DeploymentCircuitBreaker != nil {
		svc.breaker = *dc.DeploymentCircuitBreaker
	}
	c.services[svc.name] = svc
	s.setTags(svc.arn, in.Tags)
	s.createInitialDeployment(svc, now)
	return map[string]any{"service": s.serviceWire(svc, []string{"TAGS"})}, nil
}

// serviceWire is a service as DescribeServices reports it: what was set,
// ECS's defaults for what was not, and its state.
func (s *Simulator) serviceWire(svc *service, include []string) map[string]json.RawMessage {
	out := svc.echo.with(svc.wire())
	defaults := map[string]string{
		"schedulingStrategy": `"REPLICA"`, "deploymentController": `{"type":"ECS"}`, "propagateTags": `"NONE"`,
		"enableECSManagedTags": "false", "enableExecuteCommand": "false", "placementConstraints": "[]",
		"placementStrategy": "[]", "serviceRegistries": "[]", "platformVersion": `"LATEST"`, "platformFamily": `"Linux"`,
	}
	for k, v := range defaults {
		if _, ok := out[k]; !ok {
			out[k] = json.RawMessage(v)
		}
	}
	// The deployment configuration as set, with ECS's percentages by
	// default and the circuit breaker as it is now.
	dc := map[string]json.RawMessage{"maximumPercent": json.RawMessage("200"), "minimumHealthyPercent": json.RawMessage("100")}
	_ = json.Unmarshal(svc.echo["deploymentConfiguration"], &dc)
	dc["deploymentCircuitBreaker"], _ = json.Marshal(svc.breaker)
	out["deploymentConfiguration"], _ = json.Marshal(dc)
	if slices.Contains(include, "TAGS") {
		out["tags"], _ = json.Marshal(s.tagsOf(svc.arn))
	}
	return out
}

// service finds an ACTIVE or DRAINING service for UpdateService and
// DeleteService.
func (s *Simulator) service(clusterRef, name string) (*service, *apiError) {
	c, err := s.cluster(clusterRef)
	if err != nil {
		return nil, err
	}
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	svc := c.services[name]
	if svc == nil || svc.status == "INACTIVE" {
		return nil, clientErr("ServiceNotFoundException", "Service not found.")
	}
	return svc, nil
}

func (s *Simulator) updateService(body []byte, now time.Time) (any, *apiError) {
	var in serviceInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	svc, err := s.service(in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	if svc.status != "ACTIVE" {
		return nil, clientErr("ServiceNotActiveException", "Service was not ACTIVE.")
	}
	td := svc.taskDef
	if in.TaskDefinition != "" {
		if td, err = s.deployable(in.TaskDefinition); err != nil {
			return nil, err
		}
	}
	if dc := in.DeploymentConfiguration; dc != nil && dc.DeploymentCircuitBreaker != nil {
		svc.breaker = *dc.DeploymentCircuitBreaker
	}
	if in.DesiredCount != nil {
		svc.desired = *in.DesiredCount
	}
	if in.LoadBalancers != nil {
		svc.loadBalancers = in.LoadBalancers
	}
	svc.echo.update(body, serviceEchoed...)
	if td != svc.taskDef || in.ForceNewDeployment {
		s.startDeployment(svc, td, now)
	}
	return map[string]any{"service": s.serviceWire(svc, nil)}, nil
}

func (s *Simulator) deleteService(body []byte, now time.Time) (any, *apiError) {
	var in serviceInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	svc, err := s.service(in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	if svc.desired > 0 && !in.Force {
		return nil, clientErr("InvalidParameterException", "The service cannot be stopped while it is scaled above 0.")
	}
	svc.status, svc.desired = "DRAINING", 0
	svc.script = nil
	svc.schedule(now.Add(svc.scenario.step()), func(now time.Time) {
		for _, t := range svc.tasks {
			if t.lastStatus != "STOPPED" {
				s.stopTask(svc, t, now, "Scaling activity initiated by (service "+svc.name+")", "ServiceSchedulerInitiated", 0, nil)
			}
		}
		svc.status, svc.deployments = "INACTIVE", nil
	})
	return map[string]any{"service": s.serviceWire(svc, nil)}, nil
}

func (s *Simulator) describeServices(body []byte, now time.Time) (any, *apiError) {
	var in struct {
		Cluster  string   `json:"cluster"`
		Services []string `json:"services"`
		Include  []string `json:"include"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if len(in.Services) == 0 || len(in.Services) > 10 {
		return nil, clientErr("InvalidParameterException", "services must name between 1 and 10 services.")
	}
	services, failures := []map[string]json.RawMessage{}, []wireFailure{}
	for _, ref := range in.Services {
		name := ref
		if i := strings.LastIndex(name, "/"); i >= 0 {
			name = name[i+1:]
		}
		if svc := c.services[name]; svc != nil {
			services = append(services, s.serviceWire(svc, in.Include))
			continue
		}
		failures = append(failures, wireFailure{Arn: s.arn("service/" + c.name + "/" + name), Reason: "MISSING"})
	}
	return map[string]any{"services": services, "failures": failures}, nil
}
