package source

import (
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

// CheckStage checks that a Dockerfile defines the stage target. own says
// whether it is the source's own Dockerfile or credex-ci's reference one,
// which changes the fix.
func CheckStage(dockerfile []byte, own bool, target string) error {
	df, err := ParseDockerfile(dockerfileName(own), own, dockerfile)
	if err != nil {
		return err
	}
	stages := df.StageNames()
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

// dockerfileName names the Dockerfile a build uses, in messages.
func dockerfileName(own bool) string {
	if own {
		return "the source's Dockerfile"
	}
	return "credex-ci's reference Dockerfile"
}
