package tfplan

import (
	"errors"
	"fmt"
	"strings"
)

// ErrDrift is returned (wrapped) by Drift.Err when AWS differs from the
// configuration.
var ErrDrift = errors.New("drift detected")

// Drift is the outcome of `terraform plan -detailed-exitcode`.
type Drift struct {
	// Drifted is true when the plan is not empty (exit code 2).
	Drifted bool
	// Summary of the plan that would bring AWS back to the configuration,
	// with the changes the refresh found made outside Terraform.
	Summary Summary
}

// DetectDrift interprets the exit code of `terraform plan
// -detailed-exitcode` (0 no changes, 1 error, 2 changes) together with the
// plan's JSON (nil is allowed when the exit code is 0 or 1).
func DetectDrift(exitCode int, planJSON []byte, stderr string) (Drift, error) {
	switch exitCode {
	case 0:
		return Drift{}, nil
	case 2:
		p, err := Parse(planJSON)
		if err != nil {
			return Drift{Drifted: true}, err
		}
		return Drift{Drifted: true, Summary: Summarize(p)}, nil
	default:
		msg := strings.TrimSpace(stderr)
		if msg == "" {
			msg = "no error output"
		}
		return Drift{}, fmt.Errorf("terraform plan failed (exit code %d), so drift is unknown: %s", exitCode, msg)
	}
}

// Text reports the drift check.
func (d Drift) Text() string {
	if !d.Drifted {
		return "No drift: AWS matches the configuration and the last apply.\n"
	}
	return "Drift: AWS differs from the configuration.\n" + d.Summary.Text()
}

// Err is nil without drift, else an error listing the drifted resources and
// what to do.
func (d Drift) Err() error {
	if !d.Drifted {
		return nil
	}
	return fmt.Errorf("%w:\n%s\nIf the changes made in AWS are wanted, write them into terraform/ and apply; otherwise plan and apply to undo them", ErrDrift, strings.TrimRight(d.Summary.Text(), "\n"))
}
