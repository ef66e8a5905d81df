package ecssim

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

func (s *Simulator) createCluster(body []byte, now time.Time) (any, *apiError) {
	var in struct {
		ClusterName string `json:"clusterName"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.ClusterName == "" {
		in.ClusterName = "default"
	}
	c := s.clusters[in.ClusterName]
	if c == nil {
		c = &cluster{name: in.ClusterName, arn: s.arn("cluster/" + in.ClusterName), services: map[string]*service{}}
		s.clusters[in.ClusterName] = c
	}
	return map[string]any{"cluster": wireCluster{ClusterArn: c.arn, ClusterName: c.name, Status: "ACTIVE"}}, nil
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
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	td := &taskDef{family: in.Family, raw: in.ContainerDefinitions, networkMode: in.NetworkMode, cpu: in.Cpu, memory: in.Memory, registered: now}
	if err := json.Unmarshal(in.ContainerDefinitions, &td.containers); err != nil || in.Family == "" || len(td.containers) == 0 {
		return nil, clientErr("ClientException", "Container.name should not be null or empty: a task definition needs a family and at least one named container definition.")
	}
	td.revision = int32(len(s.taskDefs[in.Family]) + 1)
	td.arn = s.arn("task-definition/" + in.Family + ":" + strconv.Itoa(int(td.revision)))
	s.taskDefs[in.Family] = append(s.taskDefs[in.Family], td)
	return map[string]any{"taskDefinition": td.wire()}, nil
}

// taskDef resolves "family", "family:revision" or an ARN.
func (s *Simulator) taskDef(ref string) (*taskDef, *apiError) {
	name := ref
	if i := strings.LastIndex(name, "task-definition/"); i >= 0 {
		name = name[i+len("task-definition/"):]
	}
	family, rev, hasRev := strings.Cut(name, ":")
	revs := s.taskDefs[family]
	if len(revs) > 0 {
		if !hasRev {
			return revs[len(revs)-1], nil
		}
		if n, err := strconv.Atoi(rev); err == nil && n >= 1 && n <= len(revs) {
			return revs[n-1], nil
		}
	}
	return nil, clientErr("ClientException", "Unable to describe task definition.")
}

func (s *Simulator) describeTaskDefinition(body []byte, now time.Time) (any, *apiError) {
	var in struct {
		TaskDefinition string `json:"taskDefinition"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	td, err := s.taskDef(in.TaskDefinition)
	if err != nil {
		return nil, err
	}
	return map[string]any{"taskDefinition": td.wire()}, nil
}
