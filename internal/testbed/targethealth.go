package testbed

import (
	"cmp"
	"encoding/xml"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"time"
)

// kumo reports every registered target "healthy" and forgets a target the
// moment it is deregistered: it runs no health checks and drains nothing.
// The bed answers DescribeTargetHealth itself, for every target group whose
// tasks it registered, with the states an ALB goes through in a rolling
// deploy: it asks kumo for the registered targets and rewrites their state,
// keeping ELBv2's XML shape.
//
//   - A new target is "initial" (Elb.RegistrationInProgress) for the target
//     group's warm-up after ECS registered it, then "healthy".
//   - A deregistered target is "draining" (Target.DeregistrationInProgress)
//     for the target group's deregistration delay, then gone.
//   - SetTargetHealth overrides the state of a target group's registered
//     targets (its health checks fail, say).

// TargetHealth is a target state the bed reports for a whole target group.
type TargetHealth struct {
	// State is an ELBv2 target state: "unhealthy", "draining", "initial"...
	State string
	// Reason and Description are ELBv2's, e.g. "Target.FailedHealthChecks"
	// and "Health checks failed with these codes: [500]".
	Reason, Description string
}

// SetTargetHealth makes every registered target of a target group report
// h (draining ones keep draining); a zero h restores the lifecycle above.
func (b *Bed) SetTargetHealth(targetGroupARN string, h TargetHealth) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if h.State == "" {
		delete(b.unhealthy, targetGroupARN)
		return
	}
	b.unhealthy[targetGroupARN] = h
}

// targetTiming is how long a target group's targets stay initial and
// draining.
type targetTiming struct {
	warmup, deregistrationDelay time.Duration
}

// targetLife is one target as the bed's load balancer sees it.
type targetLife struct {
	id           string
	port         int
	registered   time.Time
	deregistered time.Time // zero while registered
}

type targetKey struct {
	id   string
	port int
}

// setTargetTiming sets a target group's warm-up and deregistration delay.
func (b *Bed) setTargetTiming(targetGroupARN string, t targetTiming) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.timing[targetGroupARN] = t
}

// targetRegistered and targetDeregistered record what ECS did, at the
// time the simulator says it did it.
func (b *Bed) targetRegistered(targetGroupARN, id string, port int, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.targets[targetGroupARN] == nil {
		b.targets[targetGroupARN] = map[targetKey]*targetLife{}
	}
	b.targets[targetGroupARN][targetKey{id, port}] = &targetLife{id: id, port: port, registered: at}
}

// targetsWarm marks a target group's registered targets as registered long
// ago: the tasks a service already ran before the deployment.
func (b *Bed) targetsWarm(targetGroupARN string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, t := range b.targets[targetGroupARN] {
		t.registered = time.Time{}
	}
}

func (b *Bed) targetDeregistered(targetGroupARN, id string, port int, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t := b.targets[targetGroupARN][targetKey{id, port}]; t != nil && t.deregistered.IsZero() {
		t.deregistered = at
	}
}

type targetHealthMember struct {
	Target struct {
		ID   string `xml:"Id"`
		Port int    `xml:"Port"`
	} `xml:"Target"`
	Health struct {
		State       string `xml:"State"`
		Reason      string `xml:"Reason,omitempty"`
		Description string `xml:"Description,omitempty"`
	} `xml:"TargetHealth"`
}

type targetHealthResponse struct {
	XMLName xml.Name `xml:"DescribeTargetHealthResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		Descriptions struct {
			Members []targetHealthMember `xml:"member"`
		} `xml:"TargetHealthDescriptions"`
	} `xml:"DescribeTargetHealthResult"`
	Metadata struct {
		RequestID string `xml:"RequestId"`
	} `xml:"ResponseMetadata"`
}

// serveTargetHealth answers DescribeTargetHealth for a target group the bed
// knows and reports whether it did.
func (b *Bed) serveTargetHealth(w http.ResponseWriter, r *http.Request) bool {
	form, ok := queryForm(r)
	if !ok || form.Get("Action") != "DescribeTargetHealth" {
		return false
	}
	tg := form.Get("TargetGroupArn")
	b.mu.Lock()
	override, marked := b.unhealthy[tg]
	_, timed := b.timing[tg]
	b.mu.Unlock()
	if !marked && !timed {
		return false
	}
	rec := httptest.NewRecorder()
	b.proxy.ServeHTTP(rec, r)
	var resp targetHealthResponse
	if rec.Code != http.StatusOK || xml.Unmarshal(rec.Body.Bytes(), &resp) != nil {
		copyResponse(w, rec)
		return true
	}
	resp.Result.Descriptions.Members = b.targetStates(tg, resp.Result.Descriptions.Members, override, marked, time.Now())
	out, err := xml.Marshal(resp)
	if err != nil {
		copyResponse(w, rec)
		return true
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	_, _ = w.Write(out)
	return true
}

// targetStates rewrites kumo's registered targets (all "healthy") into the
// states an ALB would report at now, and adds the draining ones kumo has
// forgotten.
func (b *Bed) targetStates(tg string, registered []targetHealthMember, override TargetHealth, marked bool, now time.Time) []targetHealthMember {
	b.mu.Lock()
	defer b.mu.Unlock()
	timing := b.timing[tg]
	lives := b.targets[tg]
	out := registered[:0]
	for _, m := range registered {
		life := lives[targetKey{m.Target.ID, m.Target.Port}]
		switch {
		case marked:
			m.Health.State, m.Health.Reason, m.Health.Description = override.State, override.Reason, override.Description
		case life != nil && now.Before(life.registered.Add(timing.warmup)):
			m.Health.State, m.Health.Reason, m.Health.Description = "initial", "Elb.RegistrationInProgress", "Target registration is in progress"
		}
		out = append(out, m)
	}
	for _, key := range slices.SortedFunc(maps.Keys(lives), func(a, b targetKey) int {
		return cmp.Or(cmp.Compare(a.id, b.id), cmp.Compare(a.port, b.port))
	}) {
		life := lives[key]
		if life.deregistered.IsZero() {
			continue
		}
		if !now.Before(life.deregistered.Add(timing.deregistrationDelay)) {
			delete(lives, key) // drained: gone
			continue
		}
		var m targetHealthMember
		m.Target.ID, m.Target.Port = life.id, life.port
		m.Health.State, m.Health.Reason, m.Health.Description = "draining", "Target.DeregistrationInProgress", "Target deregistration is in progress"
		out = append(out, m)
	}
	return out
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}
