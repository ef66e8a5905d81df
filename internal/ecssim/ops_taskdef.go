package ecssim

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

func (s *Simulator) createCluster(body []byte, now time.Time) (any, *apiError) {
	var in struct {
		ClusterName string    `json:"clusterName"`
		Tags        []wireTag `json:"tags"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.ClusterName == "" {
		in.ClusterName = "default"
	}
	c := s.clusters[in.ClusterName]
	if c == nil {
		c = &cluster{name: in.ClusterName, arn: s.arn("cluster/" + in.ClusterName), services: map[string]*service{}, echo: echo{}}
		s.clusters[in.ClusterName] = c
	}
	// CreateCluster of an existing cluster is idempotent; its settings and
	// tags are the new ones.
	c.echo.update(body, "settings", "configuration", "serviceConnectDefaults")
	s.setTags(c.arn, in.Tags)
	return map[string]any{"cluster": s.clusterWire(c, []string{"TAGS"})}, nil
}

// cluster finds a cluster by name or ARN ("" is "default").
func (s *Simulator) cluster(ref string) (*cluster, *apiError) {
	name := ref
	if name == "" {
		name = "default"
	}
	if i := strings.LastIndex(name, ":cluster/"); i >= 0 {
		name = name[i+len(":cluster/"):]
	}
	c := s.clusters[name]
	if c == nil {
		return nil, clientErr("ClusterNotFoundException", "Cluster not found.")
	}
	return c, nil
}

func (s *Simulator) registerTaskDefinition(body []byte, now time.Time) (any, *apiError) {
	var in struct {
		Family               string          `json:"family"`
		ContainerDefinitions json.RawMessage `json:"containerDefinitions"`
		NetworkMode          string          `json:"networkMode"`
		Cpu                  string          `json:"cpu"`
		Memory               string          `json:"memory"`
		Tags                 []wireTag       `json:"tags"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	td := &taskDef{family: in.Family, raw: in.ContainerDefinitions, networkMode: in.NetworkMode, cpu: in.Cpu, memory: in.Memory, registered: now, status: "ACTIVE",
		echo: newEcho(body, "requiresCompatibilities", "runtimePlatform", "executionRoleArn", "taskRoleArn", "volumes", "placementConstraints",
			"pidMode", "ipcMode", "proxyConfiguration", "inferenceAccelerators", "ephemeralStorage", "enableFaultInjection")}
	if err := json.Unmarshal(in.ContainerDefinitions, &td.containers); err != nil || in.Family == "" || len(td.containers) == 0 {
		return nil, clientErr("ClientException", "Container.name should not be null or empty: a task definition needs a family and at least one named container definition.")
	}
	td.revision = int32(len(s.taskDefs[in.Family]) + 1)
	td.arn = s.arn("task-definition/" + in.Family + ":" + strconv.Itoa(int(td.revision)))
	s.taskDefs[in.Family] = append(s.taskDefs[in.Family], td)
	s.setTags(td.arn, in.Tags)
	return map[string]any{"taskDefinition": td.wire(), "tags": s.tagsOf(td.arn)}, nil
}

// taskDef resolves "family" (its latest ACTIVE revision, as ECS does),
// "family:revision" or an ARN.
func (s *Simulator) taskDef(ref string) (*taskDef, *apiError) {
	name := ref
	if i := strings.LastIndex(name, "task-definition/"); i >= 0 {
		name = name[i+len("task-definition/"):]
	}
	family, rev, hasRev := strings.Cut(name, ":")
	revs := s.taskDefs[family]
	if !hasRev {
		for i := len(revs) - 1; i >= 0; i-- {
			if revs[i].status == "ACTIVE" {
				return revs[i], nil
			}
		}
	} else if n, err := strconv.Atoi(rev); err == nil && n >= 1 && n <= len(revs) {
		return revs[n-1], nil
	}
	return nil, clientErr("ClientException", "Unable to describe task definition.")
}

// deployable resolves the task definition a service is to run: ECS
// refuses a deregistered (INACTIVE) revision.
func (s *Simulator) deployable(ref string) (*taskDef, *apiError) {
	td, err := s.taskDef(ref)
	if err != nil {
		return nil, err
	}
	if td.status == "INACTIVE" {
		return nil, clientErr("ClientException", "TaskDefinition is inactive")
	}
	return td, nil
}

func (s *Simulator) describeTaskDefinition(body []byte, now time.Time) (any, *apiError) {
	var in struct {
		TaskDefinition string   `json:"taskDefinition"`
		Include        []string `json:"include"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	td, err := s.taskDef(in.TaskDefinition)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"taskDefinition": td.wire()}
	if slices.Contains(in.Include, "TAGS") {
		out["tags"] = s.tagsOf(td.arn)
	}
	return out, nil
}

// deregisterTaskDefinition marks a revision INACTIVE: services running it
// keep it, DescribeTaskDefinition still answers, CreateService and
// UpdateService refuse it (deployable).
func (s *Simulator) deregisterTaskDefinition(body []byte, now time.Time) (any, *apiError) {
	var in struct {
		TaskDefinition string `json:"taskDefinition"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	name := in.TaskDefinition[strings.LastIndex(in.TaskDefinition, "/")+1:]
	if !strings.Contains(name, ":") {
		return nil, clientErr("ClientException", "A task definition revision must be specified: family:revision or its ARN.")
	}
	td, err := s.taskDef(in.TaskDefinition)
	if err != nil {
		return nil, err
	}
	if td.status != "INACTIVE" {
		td.status, td.deregistered = "INACTIVE", now
	}
	return map[string]any{"taskDefinition": td.wire()}, nil
}
