// Package rollout watches an ECS service roll out a task definition and
// decides, with evidence, whether the rollout completed, failed, was rolled
// back by the circuit breaker, was superseded by a newer deployment, or did
// not settle in time. Unlike
// `aws ecs wait services-stable` it polls with an adaptive cadence (fast
// first, backing off to a cap, jittered), streams new service events as they
// appear, and never reports a rolled-back deployment as stable.
package rollout

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// ECSClient is the part of the ECS API the watcher uses; *ecs.Client
// satisfies it.
type ECSClient interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, opts ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, opts ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, opts ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
}

// LogsClient reads a stopped task's last log lines; *cloudwatchlogs.Client
// satisfies it.
type LogsClient interface {
	GetLogEvents(ctx context.Context, in *cloudwatchlogs.GetLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

// Defaults of the Watcher's optional fields.
const (
	DefaultMinInterval     = 500 * time.Millisecond
	DefaultMaxInterval     = 2 * time.Second
	DefaultFailedTaskLimit = 3
	DefaultLogLines        = 20
	// maxLogTasks is how many stopped tasks' logs are read.
	maxLogTasks = 3
)

// Watcher watches one rollout. Only ECS, Cluster, Service and
// TaskDefinition are required.
type Watcher struct {
	ECS ECSClient
	// Logs, when set, reads the last log lines of stopped tasks from the
	// awslogs stream LogStreamPrefix/ContainerName/<task-id> in LogGroup.
	Logs LogsClient

	Cluster, Service string
	// TaskDefinition is the task definition just deployed: its ARN or
	// family:revision.
	TaskDefinition string

	ContainerName, LogGroup, LogStreamPrefix string
	// LogLines is how many log lines to keep per stopped task (default 20).
	LogLines int

	// MinInterval and MaxInterval bound the polling cadence (defaults 500 ms
	// and 2 s): it starts at MinInterval, grows by half while nothing
	// changes, returns to MinInterval when something does, and is jittered
	// by ±20%.
	MinInterval, MaxInterval time.Duration

	// FailedTaskLimit fails a rollout after that many failed tasks of the
	// new task definition when the service has no circuit breaker to decide
	// (default 3). With a circuit breaker, ECS decides.
	FailedTaskLimit int

	// Progress, when set, receives each poll's news.
	Progress func(Progress)
}

// Outcome is a rollout's verdict.
type Outcome string

// The outcomes.
const (
	Completed  Outcome = "completed"
	Failed     Outcome = "failed"
	RolledBack Outcome = "rolled-back"
	// Superseded: a newer deployment (someone else's) replaced ours before
	// it completed. Nothing is known to be wrong with ours, but it is not
	// what runs: verify the newer one, or deploy ours again; rolling back
	// would undo the newer deployment.
	Superseded     Outcome = "superseded"
	TimedOut       Outcome = "timed-out"
	ServiceMissing Outcome = "service-missing"
)

// Result is what the watcher saw and decided.
type Result struct {
	Outcome Outcome `json:"outcome"`
	// Reason explains the outcome and what to do next.
	Reason string `json:"reason"`
	// Deployment is the last state of the deployment of our task definition
	// (or of the PRIMARY deployment when ours is gone).
	Deployment *Deployment `json:"deployment,omitempty"`
	// SupersededBy is the deployment that replaced ours (Outcome
	// Superseded).
	SupersededBy *Deployment `json:"supersededBy,omitempty"`
	// Events are the service events that appeared during the rollout,
	// oldest first.
	Events []ServiceEvent `json:"events,omitempty"`
	// StoppedTasks are the stopped tasks of our task definition.
	StoppedTasks []StoppedTask `json:"stoppedTasks,omitempty"`
	Polls        int           `json:"polls"`
	Started      time.Time     `json:"started"`
	Finished     time.Time     `json:"finished"`
}

// OK reports whether the rollout completed.
func (r *Result) OK() bool { return r != nil && r.Outcome == Completed }

// Deployment is one of a service's deployments.
type Deployment struct {
	ID                 string `json:"id"`
	TaskDefinition     string `json:"taskDefinition"`
	Status             string `json:"status"`
	RolloutState       string `json:"rolloutState,omitempty"`
	RolloutStateReason string `json:"rolloutStateReason,omitempty"`
	Desired            int32  `json:"desired"`
	Running            int32  `json:"running"`
	Pending            int32  `json:"pending"`
	Failed             int32  `json:"failed"`
	// CreatedAt is when ECS created the deployment (UpdateService).
	CreatedAt time.Time `json:"createdAt,omitzero"`
}

// ServiceEvent is an ECS service event.
type ServiceEvent struct {
	At      time.Time `json:"at"`
	Message string    `json:"message"`
}

// StoppedTask is the evidence a stopped task leaves.
type StoppedTask struct {
	ARN            string          `json:"arn"`
	TaskDefinition string          `json:"taskDefinition"`
	StoppedReason  string          `json:"stoppedReason"`
	StopCode       string          `json:"stopCode,omitempty"`
	StoppedAt      time.Time       `json:"stoppedAt"`
	Containers     []ContainerExit `json:"containers,omitempty"`
	// LastLogLines are the task's last log lines, oldest first.
	LastLogLines []string `json:"lastLogLines,omitempty"`
	// LogError says why the log lines could not be read.
	LogError string `json:"logError,omitempty"`
}

// ContainerExit is how a stopped task's container ended.
type ContainerExit struct {
	Name     string `json:"name"`
	ExitCode *int32 `json:"exitCode,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// Progress is one poll's news, for streaming to the operator.
type Progress struct {
	Poll int
	At   time.Time
	// Deployments are the service's deployments now, PRIMARY first.
	Deployments []Deployment
	// NewEvents and NewStoppedTasks appeared since the previous poll.
	NewEvents       []ServiceEvent
	NewStoppedTasks []StoppedTask
	// NextPoll is the wait before the next poll (zero on the last one).
	NextPoll time.Duration
}
