package ecssim

import (
	"strconv"
	"strings"
	"time"
)

func (s *Simulator) listTasks(body []byte, now time.Time) (any, *apiError) {
	var in struct {
		Cluster       string `json:"cluster"`
		ServiceName   string `json:"serviceName"`
		DesiredStatus string `json:"desiredStatus"`
		MaxResults    int    `json:"maxResults"`
		NextToken     string `json:"nextToken"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if in.DesiredStatus == "" {
		in.DesiredStatus = "RUNNING"
	}
	if in.MaxResults <= 0 || in.MaxResults > 100 {
		in.MaxResults = 100
	}
	var arns []string
	for _, svc := range c.services {
		if in.ServiceName != "" && svc.name != in.ServiceName {
			continue
		}
		// Newest first, as operators want the latest stopped tasks.
		for i := len(svc.tasks) - 1; i >= 0; i-- {
			if t := svc.tasks[i]; t.desiredStatus == in.DesiredStatus {
				arns = append(arns, t.arn)
			}
		}
	}
	if in.ServiceName != "" && c.services[in.ServiceName] == nil {
		return nil, clientErr("ServiceNotFoundException", "Service not found.")
	}
	start, _ := strconv.Atoi(in.NextToken)
	if start > len(arns) {
		start = len(arns)
	}
	out := map[string]any{}
	end := min(start+in.MaxResults, len(arns))
	out["taskArns"] = append([]string{}, arns[start:end]...)
	if end < len(arns) {
		out["nextToken"] = strconv.Itoa(end)
	}
	return out, nil
}

func (s *Simulator) describeTasks(body []byte, now time.Time) (any, *apiError) {
	var in struct {
		Cluster string   `json:"cluster"`
		Tasks   []string `json:"tasks"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if len(in.Tasks) == 0 || len(in.Tasks) > 100 {
		return nil, clientErr("InvalidParameterException", "tasks must name between 1 and 100 tasks.")
	}
	tasks, failures := []wireTask{}, []wireFailure{}
	for _, ref := range in.Tasks {
		id := ref[strings.LastIndex(ref, "/")+1:]
		found := false
		for _, svc := range c.services {
			for _, t := range svc.tasks {
				if t.id == id {
					tasks, found = append(tasks, t.wire(svc)), true
				}
			}
		}
		if !found {
			failures = append(failures, wireFailure{Arn: ref, Reason: "MISSING"})
		}
	}
	return map[string]any{"tasks": tasks, "failures": failures}, nil
}
