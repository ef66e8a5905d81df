package health

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// healthyStatuses are the body "status" values that mean healthy, compared
// case-insensitively (Express apps' "ok", Spring's "UP", the IETF draft's "pass").
var healthyStatuses = []string{"ok", "healthy", "up", "pass"}

// revisionFields are the build-info field names read, in order of preference,
// at the top level of the body or inside one of buildObjects.
var revisionFields = []string{"revision", "commit", "gitSha", "gitSHA", "git_sha", "sha", "version"}

// buildObjects are the nested objects searched for revisionFields.
var buildObjects = []string{"build", "buildInfo", "build_info", "git", "info"}

// BuildInfo is the build an app reports in its health body.
type BuildInfo struct {
	// Revision is the reported revision (git SHA, image tag or version).
	Revision string `json:"revision"`
	// Field is where it was found, for example "build.commit".
	Field string `json:"field"`
}

type bodyVerdict struct {
	build     *BuildInfo
	problems  []string
	notes     []string
	retryable bool
}

// checkBody checks a 200 response's body against the health contract.
func checkBody(raw []byte, expectRevision string) bodyVerdict {
	var v bodyVerdict
	trimmed := bytes.TrimSpace(raw)
	var doc map[string]any
	if err := json.Unmarshal(trimmed, &doc); err != nil {
		if isHealthyWord(string(trimmed)) {
			v.notes = append(v.notes, "the body is plain text, so no build info could be checked; report {\"status\":\"ok\",\"revision\":\"<git sha>\"} to have the deployed revision verified")
			return v
		}
		v.problems = append(v.problems, fmt.Sprintf("body is neither JSON nor a plain \"ok\" (%s): the health endpoint should answer {\"status\":\"ok\"}", describe(trimmed)))
		return v
	}
	status, hasStatus := doc["status"].(string)
	switch {
	case !hasStatus:
		v.problems = append(v.problems, `body has no string "status" field: the health endpoint should answer {"status":"ok"}`)
		return v
	case !isHealthyWord(status):
		v.problems = append(v.problems, fmt.Sprintf("body reports status %q, want one of %s", status, strings.Join(healthyStatuses, ", ")))
		v.retryable = true
	}
	v.build = findBuildInfo(doc)
	switch {
	case expectRevision == "":
	case v.build == nil:
		v.notes = append(v.notes, fmt.Sprintf("the app reports no build info, so revision %s could not be verified; add \"revision\" to the health body", expectRevision))
	case !revisionMatches(v.build.Revision, expectRevision):
		v.problems = append(v.problems, fmt.Sprintf("the app reports %s %q, want %q: the old version is still answering (or the image was built from another commit)", v.build.Field, v.build.Revision, expectRevision))
		v.retryable = true
	}
	return v
}

func isHealthyWord(s string) bool {
	for _, h := range healthyStatuses {
		if strings.EqualFold(strings.TrimSpace(s), h) {
			return true
		}
	}
	return false
}

func describe(b []byte) string {
	if len(b) == 0 {
		return "empty"
	}
	return fmt.Sprintf("starts with %q", truncate(string(b), 40))
}

func findBuildInfo(doc map[string]any) *BuildInfo {
	if bi := revisionIn(doc, ""); bi != nil {
		return bi
	}
	for _, name := range buildObjects {
		if obj, ok := doc[name].(map[string]any); ok {
			if bi := revisionIn(obj, name+"."); bi != nil {
				return bi
			}
		}
	}
	// Last resort: any nested object holding a revision field, in key order.
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if obj, ok := doc[k].(map[string]any); ok {
			if bi := revisionIn(obj, k+"."); bi != nil {
				return bi
			}
		}
	}
	return nil
}

func revisionIn(obj map[string]any, prefix string) *BuildInfo {
	for _, f := range revisionFields {
		if s, ok := obj[f].(string); ok && strings.TrimSpace(s) != "" {
			return &BuildInfo{Revision: strings.TrimSpace(s), Field: prefix + f}
		}
	}
	return nil
}

// minPrefix is the shortest SHA accepted for a prefix match (git's default abbreviation).
const minPrefix = 7

// revisionMatches compares a reported revision with the expected one: equal
// (ignoring case), or one a prefix of the other when the shorter has at least
// 7 characters (a short SHA against a full one).
func revisionMatches(reported, expected string) bool {
	r, e := strings.ToLower(reported), strings.ToLower(strings.TrimSpace(expected))
	if r == e {
		return true
	}
	short, long := r, e
	if len(short) > len(long) {
		short, long = long, short
	}
	return len(short) >= minPrefix && strings.HasPrefix(long, short)
}
