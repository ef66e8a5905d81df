package verify

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/great-sun-group/credex-ci/internal/awsconf"
)

// Overrides are the verification settings a person may change for one run:
// the credex-ci CLI's flags and the Dagger function's arguments of the same
// names. Zero values keep the environment's policy (and /health).
type Overrides struct {
	// HealthPath is --health-path ("/health" when empty).
	HealthPath string
	// BenchPaths is --bench-paths, comma-separated (default HealthPath).
	BenchPaths string
	// BenchDuration, RolloutTimeout, BenchRate and HealthAttempts replace
	// the policy's when positive.
	BenchDuration, RolloutTimeout time.Duration
	BenchRate                     float64
	HealthAttempts                int
}

// ParseDuration reads a duration argument given as text (the Dagger
// function's --bench-duration, --rollout-timeout), naming the flag when it
// is not one. Empty is zero: the policy's.
func ParseDuration(flag, value string) (time.Duration, error) {
	if strings.TrimSpace(value) == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(value))
	if err != nil {
		return 0, fmt.Errorf("--%s=%q is not a duration: pass e.g. --%s=30s or --%s=2m", flag, value, flag, flag)
	}
	return d, nil
}

// Validate refuses negative values and a health path that is not a path.
func (o Overrides) Validate() error {
	var problems []error
	if o.BenchRate < 0 || o.BenchDuration < 0 || o.RolloutTimeout < 0 || o.HealthAttempts < 0 {
		problems = append(problems, errors.New("--bench-rate, --bench-duration, --rollout-timeout and --health-attempts must be positive"))
	}
	for _, p := range append([]string{o.HealthPath}, SplitList(o.BenchPaths)...) {
		if strings.Contains(p, "://") || strings.ContainsAny(p, " \t") {
			problems = append(problems, fmt.Errorf("%q is not a path of the API: pass e.g. --health-path=/health or --bench-paths=/health,/v1/ledger (the API's URL is --api-url)", p))
		}
	}
	return errors.Join(problems...)
}

// Apply validates the overrides and writes them into a configuration whose
// Policy is already the environment's.
func (o Overrides) Apply(cfg *Config) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if o.HealthPath != "" {
		cfg.HealthPath = o.HealthPath
	}
	if paths := SplitList(o.BenchPaths); len(paths) > 0 {
		cfg.BenchPaths = paths
	}
	p := &cfg.Policy
	if o.BenchDuration > 0 {
		p.BenchDuration = o.BenchDuration
	}
	if o.BenchRate > 0 {
		p.BenchRate = o.BenchRate
	}
	if o.HealthAttempts > 0 {
		p.HealthAttempts = o.HealthAttempts
	}
	if o.RolloutTimeout > 0 {
		p.RolloutTimeout = o.RolloutTimeout
	}
	return nil
}

// SplitList splits a comma-separated list, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// CheckAPIURL checks --api-url: an http(s) URL with a host, echoed without
// its password. inDagger also refuses loopback: inside Dagger, 127.0.0.1
// and localhost are the function's own container, so an API on the user's
// machine is passed as a service, --api=tcp://localhost:PORT.
func CheckAPIURL(raw string, inDagger bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--api-url %q is not an http(s) URL: pass e.g. --api-url=https://api.stage.example", awsconf.RedactedURL(raw))
	}
	if inDagger {
		return awsconf.RefuseLoopback("--api-url", raw, "the API", "--api", "80")
	}
	return nil
}

// NeedsURL reports whether any of checks requests the API (health,
// integration, bench), and so needs its URL.
func NeedsURL(checks []string) bool {
	return slices.ContainsFunc(checks, func(c string) bool {
		return c == CheckHealth || c == CheckIntegration || c == CheckBench
	})
}
