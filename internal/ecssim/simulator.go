// Package ecssim is an ECS control-plane simulator: an HTTP server that
// speaks ECS's awsJson1_1 protocol to the real aws-sdk-go-v2 ECS client and
// advances services through scripted rollouts (healthy, slow, circuit-breaker
// rollback, crash loop) on a clock, so rollout watchers can be tested end to
// end. State advances lazily: every request first applies the script steps
// that are due, each stamped with its scheduled time, so a rollout settles at
// a known instant (see Settlements) whoever is polling.
package ecssim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

const (
	contentType  = "application/x-amz-json-1.1"
	targetPrefix = "AmazonEC2ContainerServiceV20141113."
)

// TargetPrefix is the X-Amz-Target prefix of ECS requests; a router sends
// requests carrying it to the simulator.
const TargetPrefix = targetPrefix

// Options configure a Simulator.
type Options struct {
	// Region and AccountID appear in ARNs; defaults af-south-1 and
	// 000000000000.
	Region, AccountID string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// OnTask, when set, is called (serially, outside the simulator's lock,
	// before the triggering request is answered) when a task of a service
	// reaches RUNNING or STOPPED, as ECS would register targets and a task
	// would write its logs.
	OnTask func(TaskEvent)
}

// TaskEvent tells OnTask about a task of a service changing state.
type TaskEvent struct {
	Cluster, Service string
	TaskARN, TaskID  string
	TaskDefinition   string
	// Running is true when the task reached RUNNING, false when it stopped.
	Running   bool
	PrivateIP string
	// LoadBalancers are the service's target groups.
	LoadBalancers []LoadBalancer
	// LogGroup and LogStream are where the essential container's awslogs
	// driver writes (empty without an awslogs configuration); LogLines is
	// what the task wrote there.
	LogGroup, LogStream string
	LogLines            []string
	At                  time.Time
}

// LoadBalancer is one of a service's target groups.
type LoadBalancer struct {
	TargetGroupARN string
	ContainerName  string
	ContainerPort  int32
}

// Simulator is the ECS control plane. It is an http.Handler.
type Simulator struct {
	opts Options

	mu          sync.Mutex
	clusters    map[string]*cluster // by name
	taskDefs    map[string][]*taskDef
	scenarios   map[string]Scenario // by cluster/service
	throttle    int
	settlements []Settlement
	tags        map[string][]wireTag // by resource ARN
	seq         int
	notices     []TaskEvent

	hookMu sync.Mutex
}

// New returns a simulator with no clusters.
func New(opts Options) *Simulator {
	if opts.Region == "" {
		opts.Region = "af-south-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Simulator{
		opts:      opts,
		clusters:  map[string]*cluster{},
		taskDefs:  map[string][]*taskDef{},
		scenarios: map[string]Scenario{},
		tags:      map[string][]wireTag{},
	}
}

// SetScenario scripts the next deployments of a service (it may be called
// before the service exists). It also arms sc.Throttle throttled
// DescribeServices calls for when its next deployment starts.
func (s *Simulator) SetScenario(clusterName, serviceName string, sc Scenario) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scenarios[clusterName+"/"+serviceName] = sc
	if c := s.clusters[clusterName]; c != nil {
		if svc := c.services[serviceName]; svc != nil {
			svc.scenario = sc
		}
	}
}

// Settlements returns every rollout settled so far, oldest first.
func (s *Simulator) Settlements() []Settlement {
	s.mu.Lock()
	s.advance(s.opts.Now())
	out := append([]Settlement(nil), s.settlements...)
	notices := s.takeNotices()
	s.mu.Unlock()
	s.notify(notices)
	return out
}

// Settlement returns the settlement of the rollout of taskDefinition (an ARN
// or family:revision) in a service, if it has settled.
func (s *Simulator) Settlement(clusterName, serviceName, taskDefinition string) (Settlement, bool) {
	for _, st := range s.Settlements() {
		if st.Cluster == clusterName && st.Service == serviceName && sameTaskDef(st.TaskDefinition, taskDefinition) {
			return st, true
		}
	}
	return Settlement{}, false
}

func sameTaskDef(a, b string) bool {
	short := func(s string) string {
		if i := strings.LastIndex(s, "task-definition/"); i >= 0 {
			return s[i+len("task-definition/"):]
		}
		return s
	}
	return short(a) == short(b)
}

type handlerFunc func(s *Simulator, body []byte, now time.Time) (any, *apiError)

var operations = map[string]handlerFunc{
	"CreateCluster":            (*Simulator).createCluster,
	"DescribeClusters":         (*Simulator).describeClusters,
	"RegisterTaskDefinition":   (*Simulator).registerTaskDefinition,
	"DescribeTaskDefinition":   (*Simulator).describeTaskDefinition,
	"DeregisterTaskDefinition": (*Simulator).deregisterTaskDefinition,
	"ListTagsForResource":      (*Simulator).listTagsForResource,
	"TagResource":              (*Simulator).tagResource,
	"UntagResource":            (*Simulator).untagResource,
	"CreateService":            (*Simulator).createService,
	"UpdateService":            (*Simulator).updateService,
	"DeleteService":            (*Simulator).deleteService,
	"DescribeServices":         (*Simulator).describeServices,
	"ListTasks":                (*Simulator).listTasks,
	"DescribeTasks":            (*Simulator).describeTasks,
}

// ServeHTTP answers one ECS API call.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	if r.Method != http.MethodPost || !strings.HasPrefix(target, targetPrefix) {
		writeError(w, clientErr("UnknownOperationException", "expected a POST with X-Amz-Target: %s<Operation>", targetPrefix))
		return
	}
	op := strings.TrimPrefix(target, targetPrefix)
	h, ok := operations[op]
	if !ok {
		writeError(w, clientErr("UnknownOperationException", "the ECS simulator does not implement %s", op))
		return
	}
	// Like ECS, every answer carries a request ID (the SDK reports it with
	// errors, for AWS support).
	w.Header().Set("X-Amzn-Requestid", s.newUUID())
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, clientErr("SerializationException", "reading the request: %v", err))
		return
	}
	s.mu.Lock()
	now := s.opts.Now()
	s.advance(now)
	var out any
	var apiErr *apiError
	if op == "DescribeServices" && s.throttle > 0 {
		s.throttle--
		apiErr = clientErr("ThrottlingException", "Rate exceeded")
	} else {
		out, apiErr = h(s, body, now)
	}
	notices := s.takeNotices()
	s.mu.Unlock()
	s.notify(notices)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	writeJSON(w, out)
}

func decode(body []byte, v any) *apiError {
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return clientErr("SerializationException", "malformed request: %v", err)
	}
	return nil
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// takeNotices returns the task events queued under the lock.
func (s *Simulator) takeNotices() []TaskEvent {
	n := s.notices
	s.notices = nil
	return n
}

// notify delivers task events to OnTask in order.
func (s *Simulator) notify(events []TaskEvent) {
	if s.opts.OnTask == nil || len(events) == 0 {
		return
	}
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	for _, e := range events {
		s.opts.OnTask(e)
	}
}

// advance applies every scripted step due by now, in time order, each with
// its own scheduled time.
func (s *Simulator) advance(now time.Time) {
	for {
		var next *service
		for _, c := range s.clusters {
			for _, svc := range c.services {
				if len(svc.script) > 0 && !svc.script[0].at.After(now) && (next == nil || svc.script[0].at.Before(next.script[0].at)) {
					next = svc
				}
			}
		}
		if next == nil {
			return
		}
		step := next.script[0]
		next.script = next.script[1:]
		step.do(step.at)
	}
}

// schedule adds a step to a service's script, kept in time order.
func (svc *service) schedule(at time.Time, do func(time.Time)) {
	svc.script = append(svc.script, scriptStep{at: at, do: do})
	sort.SliceStable(svc.script, func(i, j int) bool { return svc.script[i].at.Before(svc.script[j].at) })
}
