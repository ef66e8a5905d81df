package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Build targets: the stages of a credex-core-layout Dockerfile.
const (
	TargetDevelopment = "development"
	TargetTest        = "test"
	TargetProduction  = "production"
)

// Targets are the valid build targets, in Dockerfile order.
var Targets = []string{TargetDevelopment, TargetTest, TargetProduction}

// Errors for targets and Dockerfile stages.
var (
	ErrUnknownTarget = errors.New("unknown build target")
	ErrNoStage       = errors.New("Dockerfile has no such stage")
)

// ValidateTarget checks that target is one of Targets.
func ValidateTarget(target string) error {
	if slices.Contains(Targets, target) {
		return nil
	}
	return fmt.Errorf("%w %q: --target must be one of %s", ErrUnknownTarget, target, strings.Join(Targets, ", "))
}

// Stages returns the names of a Dockerfile's named stages (FROM ... AS name),
// lower-cased as Docker treats them, in order. It follows line continuations
// and skips comments.
func Stages(dockerfile []byte) []string {
	var stages []string
	for _, instr := range instructions(dockerfile) {
		fields := strings.Fields(instr)
		if len(fields) < 4 || !strings.EqualFold(fields[0], "FROM") {
			continue
		}
		if n := len(fields); strings.EqualFold(fields[n-2], "AS") {
			stages = append(stages, strings.ToLower(fields[n-1]))
		}
	}
	return stages
}

// instructions joins a Dockerfile's continued lines (default escape "\")
// and drops comment and blank lines.
func instructions(dockerfile []byte) []string {
	var out []string
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(dockerfile))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`))
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(line)
		out = append(out, cur.String())
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// CheckStage checks that a Dockerfile defines the stage target. own says
// whether it is the source's own Dockerfile or credex-ci's reference one,
// which changes the fix.
func CheckStage(dockerfile []byte, own bool, target string) error {
	stages := Stages(dockerfile)
	if slices.Contains(stages, strings.ToLower(target)) {
		return nil
	}
	defined := "no named stages"
	if len(stages) > 0 {
		defined = "stages " + strings.Join(stages, ", ")
	}
	if own {
		return fmt.Errorf("%w: the source's Dockerfile defines %s but not %q: add a stage `FROM ... AS %s`, or delete the Dockerfile to build with credex-ci's reference Dockerfile",
			ErrNoStage, defined, target, target)
	}
	return fmt.Errorf("%w: the reference Dockerfile defines %s but not %q: pass a reference Dockerfile with that stage (the constructor's --reference-dockerfile), or use credex-ci's own",
		ErrNoStage, defined, target)
}
