package ecssim

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

type cluster struct {
	name, arn string
	services  map[string]*service
	echo      echo // settings, configuration
}

type containerDef struct {
	Name             string          `json:"name"`
	Image            string          `json:"image"`
	Essential        *bool           `json:"essential"`
	HealthCheck      json.RawMessage `json:"healthCheck"`
	LogConfiguration *struct {
		LogDriver string            `json:"logDriver"`
		Options   map[string]string `json:"options"`
	} `json:"logConfiguration"`
}

type taskDef struct {
	arn, family string
	revision    int32
	raw         json.RawMessage
	containers  []containerDef
	networkMode string
	cpu, memory string
	registered  time.Time
	// status is ACTIVE, or INACTIVE once deregistered.
	status       string
	deregistered time.Time
	echo         echo // compatibilities, platform, roles, volumes...
}

// essential returns the container whose exit stops the task: the first
// essential one.
func (td *taskDef) essential() containerDef {
	for _, c := range td.containers {
		if c.Essential == nil || *c.Essential {
			return c
		}
	}
	return td.containers[0]
}

func (td *taskDef) wire() map[string]json.RawMessage {
	out := td.echo.with(wireTaskDefinition{
		TaskDefinitionArn: td.arn, Family: td.family, Revision: td.revision, Status: td.status,
		ContainerDefinitions: td.raw, NetworkMode: td.networkMode, Cpu: td.cpu, Memory: td.memory,
		RegisteredAt: at(td.registered), DeregisteredAt: at(td.deregistered),
		Compatibilities: []string{"EC2", "FARGATE"}, RequiresAttributes: []any{},
	})
	for k, v := range map[string]string{"volumes": "[]", "placementConstraints": "[]"} {
		if _, ok := out[k]; !ok {
			out[k] = json.RawMessage(v)
		}
	}
	return out
}

type scriptStep struct {
	at time.Time
	do func(now time.Time)
}

type service struct {
	cluster       *cluster
	name, arn     string
	status        string
	desired       int32
	taskDef       *taskDef
	loadBalancers []wireLoadBalancer
	breaker       wireCircuitBreaker
	deployments   []*deployment // PRIMARY first
	events        []wireEvent   // newest first
	tasks         []*task
	scenario      Scenario
	script        []scriptStep
	createdAt     time.Time
	echo          echo // network configuration, deployment settings...
}

type deployment struct {
	id, status         string
	taskDef            *taskDef
	desired            int32
	pending, running   int32
	failed             int32
	rollout, reason    string
	createdAt, updated time.Time
}

func (d *deployment) wire() wireDeployment {
	return wireDeployment{
		ID: d.id, Status: d.status, TaskDefinition: d.taskDef.arn, DesiredCount: d.desired,
		PendingCount: d.pending, RunningCount: d.running, FailedTasks: d.failed,
		CreatedAt: at(d.createdAt), UpdatedAt: at(d.updated), LaunchType: "FARGATE",
		RolloutState: d.rollout, RolloutStateReason: d.reason,
	}
}

type container struct {
	name, lastStatus, reason, health string
	exitCode                         *int32
}

type task struct {
	arn, id       string
	taskDef       *taskDef
	deployment    *deployment
	lastStatus    string
	desiredStatus string
	health        string
	stoppedReason string
	stopCode      string
	ip            string
	containers    []*container
	createdAt     time.Time
	startedAt     time.Time
	stoppingAt    time.Time
	stoppedAt     time.Time
}

func (svc *service) wire() wireService {
	out := wireService{
		ServiceArn: svc.arn, ServiceName: svc.name, ClusterArn: svc.cluster.arn, Status: svc.status,
		DesiredCount: svc.desired, LaunchType: "FARGATE", TaskDefinition: svc.taskDef.arn,
		LoadBalancers: svc.loadBalancers, CreatedAt: at(svc.createdAt),
		DeploymentConfiguration: &wireDeploymentConfiguration{DeploymentCircuitBreaker: &wireCircuitBreaker{Enable: svc.breaker.Enable, Rollback: svc.breaker.Rollback}},
		Deployments:             []wireDeployment{}, Events: svc.events,
	}
	if out.LoadBalancers == nil {
		out.LoadBalancers = []wireLoadBalancer{}
	}
	if out.Events == nil {
		out.Events = []wireEvent{}
	}
	for _, d := range svc.deployments {
		out.Deployments = append(out.Deployments, d.wire())
		out.RunningCount += d.running
		out.PendingCount += d.pending
	}
	return out
}

func (t *task) wire(svc *service) wireTask {
	out := wireTask{
		TaskArn: t.arn, ClusterArn: svc.cluster.arn, TaskDefinitionArn: t.taskDef.arn,
		Group: "service:" + svc.name, StartedBy: t.deployment.id, LaunchType: "FARGATE",
		LastStatus: t.lastStatus, DesiredStatus: t.desiredStatus, HealthStatus: t.health,
		StoppedReason: t.stoppedReason, StopCode: t.stopCode,
		CreatedAt: at(t.createdAt), StartedAt: at(t.startedAt), StoppingAt: at(t.stoppingAt), StoppedAt: at(t.stoppedAt),
		Attachments: []wireAttachment{{
			ID: "eni-attach-" + t.id[:8], Type: "ElasticNetworkInterface", Status: "ATTACHED",
			Details: []wireKeyValue{{Name: "privateIPv4Address", Value: t.ip}, {Name: "subnetId", Value: "subnet-0a1b2c3d"}},
		}},
	}
	for _, c := range t.containers {
		out.Containers = append(out.Containers, wireContainer{
			ContainerArn: strings.Replace(t.arn, ":task/", ":container/", 1) + "/" + c.name,
			TaskArn:      t.arn, Name: c.name, LastStatus: c.lastStatus, ExitCode: c.exitCode,
			Reason: c.reason, HealthStatus: c.health,
		})
	}
	return out
}

// event records a service event, newest first, keeping ECS's last 100.
func (s *Simulator) event(svc *service, now time.Time, format string, args ...any) {
	e := wireEvent{ID: s.newUUID(), CreatedAt: at(now), Message: "(service " + svc.name + ") " + sprintf(format, args...)}
	svc.events = append([]wireEvent{e}, svc.events...)
	if len(svc.events) > 100 {
		svc.events = svc.events[:100]
	}
}

// Identifiers are random, like ECS's: kumo keeps one state per process, so
// two simulators must not produce the same task IDs (log stream names).

func (s *Simulator) next() int {
	s.seq++
	return s.seq
}

func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

func (s *Simulator) newUUID() string {
	h := randomHex(32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

func (s *Simulator) newTaskID() string { return randomHex(32) }

func (s *Simulator) newDeploymentID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "ecs-svc/" + strconv.FormatUint(binary.BigEndian.Uint64(b[:])%9e18+1e18, 10)
}

func (s *Simulator) arn(resource string) string {
	return "arn:aws:ecs:" + s.opts.Region + ":" + s.opts.AccountID + ":" + resource
}
