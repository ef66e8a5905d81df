package ecssim

import "time"

// Kind names a scripted rollout behaviour.
type Kind string

// The scripted rollouts. Each one starts when UpdateService deploys a new
// task definition (or forces a new deployment) and advances on the
// simulator's clock, one Step at a time.
const (
	// Healthy: the new tasks start, become RUNNING (and HEALTHY), the old
	// ones drain and the deployment COMPLETES after 3 steps.
	Healthy Kind = "healthy"
	// Slow: a healthy rollout whose steps are SlowFactor times longer.
	Slow Kind = "slow"
	// CircuitBreakerRollback: every new task exits with code 1; after
	// FailureThreshold failures the circuit breaker marks the deployment
	// FAILED and rolls back to the previous task definition.
	CircuitBreakerRollback Kind = "circuit-breaker-rollback"
	// CircuitBreakerFailed: as CircuitBreakerRollback, with rollback
	// disabled: the failed deployment stays PRIMARY.
	CircuitBreakerFailed Kind = "circuit-breaker-failed"
	// CrashLoop: every new task exits with code 1, forever; no circuit
	// breaker, so the deployment stays IN_PROGRESS.
	CrashLoop Kind = "crash-loop"
)

// SlowFactor stretches the steps of a Slow rollout.
const SlowFactor = 5

// DefaultFailureThreshold is how many failed tasks trip the circuit breaker
// (ECS's floor is 3).
const DefaultFailureThreshold = 3

// DefaultCrashLog is what a crash-looping credex-core task writes before it
// exits.
var DefaultCrashLog = []string{
	"> credex-core@1.0.0 start",
	"> node dist/index.js",
	"info: Connecting to LedgerSpace at neo4j+s://ledger.example.internal:7687",
	"error: Neo4jError: Could not perform discovery. No routing servers available.",
	"Error: LedgerSpace unavailable: check the neo4j_stage_secrets secret (NEO_4J_LEDGER_SPACE_BOLT_URL)",
	"    at connectLedgerSpace (/app/dist/config/neo4j.js:41:11)",
}

// Scenario scripts the deployments of one service.
type Scenario struct {
	// Kind is the scripted behaviour; empty means Healthy.
	Kind Kind
	// Step is the time between two state changes; zero means one second.
	Step time.Duration
	// Throttle answers the next Throttle DescribeServices calls with
	// ThrottlingException (the SDK retries up to 3 attempts per call).
	Throttle int
	// FailureThreshold overrides DefaultFailureThreshold.
	FailureThreshold int
	// UnhealthyContainers makes running tasks whose containers have a
	// health check report UNHEALTHY instead of HEALTHY.
	UnhealthyContainers bool
	// CrashLog overrides DefaultCrashLog, the log lines of a failing task.
	CrashLog []string
}

func (sc Scenario) kind() Kind {
	if sc.Kind == "" {
		return Healthy
	}
	return sc.Kind
}

func (sc Scenario) step() time.Duration {
	s := sc.Step
	if s <= 0 {
		s = time.Second
	}
	if sc.kind() == Slow {
		s *= SlowFactor
	}
	return s
}

func (sc Scenario) threshold() int {
	if sc.FailureThreshold > 0 {
		return sc.FailureThreshold
	}
	return DefaultFailureThreshold
}

func (sc Scenario) crashLog() []string {
	if sc.CrashLog != nil {
		return sc.CrashLog
	}
	return DefaultCrashLog
}

// Settlement records when the simulator settled a rollout: the moment its
// outcome became visible through DescribeServices.
type Settlement struct {
	Cluster, Service string
	DeploymentID     string
	// TaskDefinition is the ARN the settled deployment rolled out.
	TaskDefinition string
	// Outcome is "completed", "failed" or "rolled-back".
	Outcome string
	At      time.Time
}
