package ecssim

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"time"
)

// This file holds what the Terraform AWS provider needs beyond a rollout:
// resource tags (ListTagsForResource, TagResource, UntagResource, and the
// tags of Create*/Register* and Describe* with include TAGS), clusters as
// DescribeClusters reports them, and the echo of the fields a caller set
// that ECS returns as given (network configuration, deployment settings,
// a task definition's compatibilities and platform...), so a provider that
// reads back what it wrote sees no drift.

type wireTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// echo keeps the members of a request that ECS returns as they were sent.
type echo map[string]json.RawMessage

// newEcho keeps body's members named in keys.
func newEcho(body []byte, keys ...string) echo {
	var all map[string]json.RawMessage
	_ = json.Unmarshal(body, &all)
	e := echo{}
	for _, k := range keys {
		if v, ok := all[k]; ok && string(v) != "null" {
			e[k] = v
		}
	}
	return e
}

// update overwrites e's members with those body sets.
func (e echo) update(body []byte, keys ...string) {
	for k, v := range newEcho(body, keys...) {
		e[k] = v
	}
}

// with merges a computed wire shape over the echoed members: computed
// members win.
func (e echo) with(computed any) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for k, v := range e {
		out[k] = v
	}
	raw, _ := json.Marshal(computed)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// setTags adds or replaces tags of a resource.
func (s *Simulator) setTags(arn string, tags []wireTag) {
	if len(tags) == 0 {
		return
	}
	byKey := map[string]string{}
	for _, t := range s.tags[arn] {
		byKey[t.Key] = t.Value
	}
	for _, t := range tags {
		byKey[t.Key] = t.Value
	}
	out := make([]wireTag, 0, len(byKey))
	for k, v := range byKey {
		out = append(out, wireTag{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	s.tags[arn] = out
}

// tagsOf is a resource's tags, never nil.
func (s *Simulator) tagsOf(arn string) []wireTag {
	if t := s.tags[arn]; t != nil {
		return t
	}
	return []wireTag{}
}

// taggable refuses an ARN that names no resource of the simulator, as
// the tag operations do.
func (s *Simulator) taggable(arn string) *apiError {
	if !s.known(arn) {
		return clientErr("InvalidParameterException", "The specified resource is not found: %s", arn)
	}
	return nil
}

// known reports whether an ARN names a resource of the simulator.
func (s *Simulator) known(arn string) bool {
	for _, c := range s.clusters {
		if c.arn == arn {
			return true
		}
		for _, svc := range c.services {
			if svc.arn == arn {
				return true
			}
		}
	}
	for _, tds := range s.taskDefs {
		for _, td := range tds {
			if td.arn == arn {
				return true
			}
		}
	}
	return false
}

func (s *Simulator) listTagsForResource(body []byte, now time.Time) (any, *apiError) {
	var in struct {
		ResourceArn string `json:"resourceArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := s.taggable(in.ResourceArn); err != nil {
		return nil, err
	}
	return map[string]any{"tags": s.tagsOf(in.ResourceArn)}, nil
}

func (s *Simulator) tagResource(body []byte, now time.Time) (any, *apiError) {
	var in struct {
		ResourceArn string    `json:"resourceArn"`
		Tags        []wireTag `json:"tags"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := s.taggable(in.ResourceArn); err != nil {
		return nil, err
	}
	s.setTags(in.ResourceArn, in.Tags)
	return map[string]any{}, nil
}

func (s *Simulator) untagResource(body []byte, now time.Time) (any, *apiError) {
	var in struct {
		ResourceArn string   `json:"resourceArn"`
		TagKeys     []string `json:"tagKeys"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := s.taggable(in.ResourceArn); err != nil {
		return nil, err
	}
	s.tags[in.ResourceArn] = slices.DeleteFunc(s.tags[in.ResourceArn], func(t wireTag) bool { return slices.Contains(in.TagKeys, t.Key) })
	return map[string]any{}, nil
}

// clusterWire is a cluster as DescribeClusters reports it.
func (s *Simulator) clusterWire(c *cluster, include []string) map[string]json.RawMessage {
	active, running, pending := 0, 0, 0
	for _, svc := range c.services {
		if svc.status == "ACTIVE" {
			active++
		}
		w := svc.wire()
		running += int(w.RunningCount)
		pending += int(w.PendingCount)
	}
	out := c.echo.with(map[string]any{
		"clusterArn": c.arn, "clusterName": c.name, "status": "ACTIVE",
		"registeredContainerInstancesCount": 0, "runningTasksCount": running, "pendingTasksCount": pending,
		"activeServicesCount": active, "statistics": []any{}, "capacityProviders": []any{}, "defaultCapacityProviderStrategy": []any{},
	})
	if _, ok := out["settings"]; !ok {
		out["settings"] = json.RawMessage(`[{"name":"containerInsights","value":"disabled"}]`)
	}
	if slices.Contains(include, "TAGS") {
		out["tags"], _ = json.Marshal(s.tagsOf(c.arn))
	}
	return out
}

func (s *Simulator) describeClusters(body []byte, now time.Time) (any, *apiError) {
	var in struct {
		Clusters []string `json:"clusters"`
		Include  []string `json:"include"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.Clusters) == 0 {
		in.Clusters = []string{"default"}
	}
	clusters, failures := []map[string]json.RawMessage{}, []wireFailure{}
	for _, ref := range in.Clusters {
		name := ref[strings.LastIndex(ref, "/")+1:]
		if c := s.clusters[name]; c != nil {
			clusters = append(clusters, s.clusterWire(c, in.Include))
			continue
		}
		failures = append(failures, wireFailure{Arn: s.arn("cluster/" + name), Reason: "MISSING"})
	}
	return map[string]any{"clusters": clusters, "failures": failures}, nil
}
