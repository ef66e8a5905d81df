package ecssim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// This file holds ECS's awsJson1_1 wire shapes: camelCase member names,
// timestamps as epoch seconds in JSON numbers, errors as
// {"__type": "...#Code", "message": "..."}.

// epoch is a timestamp that marshals as epoch seconds with millisecond
// precision, the way ECS sends it.
type epoch time.Time

// MarshalJSON writes the time as a JSON number of seconds.
func (e epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(e).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)), nil
}

// at returns t as a wire timestamp, or nil (omitted) when t is zero.
func at(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

type wireKeyValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type wireAttachment struct {
	ID      string         `json:"id"`
	Type    string         `json:"type"`
	Status  string         `json:"status"`
	Details []wireKeyValue `json:"details"`
}

type wireContainer struct {
	ContainerArn string `json:"containerArn"`
	TaskArn      string `json:"taskArn"`
	Name         string `json:"name"`
	Image        string `json:"image,omitempty"`
	LastStatus   string `json:"lastStatus"`
	ExitCode     *int32 `json:"exitCode,omitempty"`
	Reason       string `json:"reason,omitempty"`
	HealthStatus string `json:"healthStatus,omitempty"`
}

type wireTask struct {
	TaskArn           string           `json:"taskArn"`
	ClusterArn        string           `json:"clusterArn"`
	TaskDefinitionArn string           `json:"taskDefinitionArn"`
	Group             string           `json:"group"`
	StartedBy         string           `json:"startedBy,omitempty"`
	LaunchType        string           `json:"launchType"`
	LastStatus        string           `json:"lastStatus"`
	DesiredStatus     string           `json:"desiredStatus"`
	HealthStatus      string           `json:"healthStatus"`
	StoppedReason     string           `json:"stoppedReason,omitempty"`
	StopCode          string           `json:"stopCode,omitempty"`
	CreatedAt         *epoch           `json:"createdAt,omitempty"`
	StartedAt         *epoch           `json:"startedAt,omitempty"`
	StoppingAt        *epoch           `json:"stoppingAt,omitempty"`
	StoppedAt         *epoch           `json:"stoppedAt,omitempty"`
	Containers        []wireContainer  `json:"containers"`
	Attachments       []wireAttachment `json:"attachments,omitempty"`
}

type wireLoadBalancer struct {
	TargetGroupArn string `json:"targetGroupArn,omitempty"`
	ContainerName  string `json:"containerName,omitempty"`
	ContainerPort  int32  `json:"containerPort,omitempty"`
}

type wireCircuitBreaker struct {
	Enable   bool `json:"enable"`
	Rollback bool `json:"rollback"`
}

type wireDeploymentConfiguration struct {
	DeploymentCircuitBreaker *wireCircuitBreaker `json:"deploymentCircuitBreaker,omitempty"`
	MaximumPercent           *int32              `json:"maximumPercent,omitempty"`
	MinimumHealthyPercent    *int32              `json:"minimumHealthyPercent,omitempty"`
}

type wireDeployment struct {
	ID                 string `json:"id"`
	Status             string `json:"status"`
	TaskDefinition     string `json:"taskDefinition"`
	DesiredCount       int32  `json:"desiredCount"`
	PendingCount       int32  `json:"pendingCount"`
	RunningCount       int32  `json:"runningCount"`
	FailedTasks        int32  `json:"failedTasks"`
	CreatedAt          *epoch `json:"createdAt,omitempty"`
	UpdatedAt          *epoch `json:"updatedAt,omitempty"`
	LaunchType         string `json:"launchType"`
	RolloutState       string `json:"rolloutState,omitempty"`
	RolloutStateReason string `json:"rolloutStateReason,omitempty"`
}

type wireEvent struct {
	ID        string `json:"id"`
	CreatedAt *epoch `json:"createdAt"`
	Message   string `json:"message"`
}

type wireService struct {
	ServiceArn              string                       `json:"serviceArn"`
	ServiceName             string                       `json:"serviceName"`
	ClusterArn              string                       `json:"clusterArn"`
	Status                  string                       `json:"status"`
	DesiredCount            int32                        `json:"desiredCount"`
	RunningCount            int32                        `json:"runningCount"`
	PendingCount            int32                        `json:"pendingCount"`
	LaunchType              string                       `json:"launchType"`
	TaskDefinition          string                       `json:"taskDefinition"`
	LoadBalancers           []wireLoadBalancer           `json:"loadBalancers"`
	DeploymentConfiguration *wireDeploymentConfiguration `json:"deploymentConfiguration,omitempty"`
	Deployments             []wireDeployment             `json:"deployments"`
	Events                  []wireEvent                  `json:"events"`
	CreatedAt               *epoch                       `json:"createdAt,omitempty"`
}

type wireFailure struct {
	Arn    string `json:"arn"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

type wireTaskDefinition struct {
	TaskDefinitionArn    string          `json:"taskDefinitionArn"`
	Family               string          `json:"family"`
	Revision             int32           `json:"revision"`
	Status               string          `json:"status"`
	ContainerDefinitions json.RawMessage `json:"containerDefinitions"`
	NetworkMode          string          `json:"networkMode,omitempty"`
	Cpu                  string          `json:"cpu,omitempty"`
	Memory               string          `json:"memory,omitempty"`
	RegisteredAt         *epoch          `json:"registeredAt,omitempty"`
	DeregisteredAt       *epoch          `json:"deregisteredAt,omitempty"`
	Compatibilities      []string        `json:"compatibilities"`
	RequiresAttributes   []any           `json:"requiresAttributes"`
}

// apiError is an ECS error as the SDK decodes it.
type apiError struct {
	Code    string
	Message string
	Status  int
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func clientErr(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: sprintf(format, args...), Status: http.StatusBadRequest}
}

// errorNamespace prefixes error codes in __type, as ECS does.
const errorNamespace = "com.amazonaws.ecs.v20141113#"

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-Errortype", e.Code)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": errorNamespace + e.Code, "message": e.Message})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", contentType)
	_ = json.NewEncoder(w).Encode(v)
}
