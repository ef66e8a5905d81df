// Package verify verifies a deployment of credex-core: a preflight of the
// AWS credentials, then the rollout watcher, then — once the rollout has
// settled on the new task definition — the service status, the health
// endpoint, the app's integration suite and a benchmark, concurrently, each
// under its own timeout. Every check's outcome goes into one report; a
// failure never hides another.
package verify

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sourcegraph/conc"

	"github.com/great-sun-group/credex-ci/internal/awsconf"
	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/integration"
	"github.com/great-sun-group/credex-ci/internal/report"
)

// Check names, as they appear in the report and in --checks.
const (
	CheckPreflight   = "preflight"
	CheckRollout     = "rollout"
	CheckStatus      = "status"
	CheckHealth      = "health"
	CheckIntegration = "integration"
	CheckBench       = "bench"
)

// AllChecks lists the checks after preflight, in report order.
var AllChecks = []string{CheckRollout, CheckStatus, CheckHealth, CheckIntegration, CheckBench}

// needsAWS are the checks that call AWS and so need the preflight first.
var needsAWS = []string{CheckRollout, CheckStatus}

// NeedsAWS reports whether any of checks calls AWS, and so needs
// credentials, the environment's account and the preflight.
func NeedsAWS(checks []string) bool {
	return slices.ContainsFunc(checks, func(n string) bool { return slices.Contains(needsAWS, n) })
}

// ParseChecks reads a comma-separated list of checks (--checks); empty
// means AllChecks. An unknown name is refused, naming the valid ones.
func ParseChecks(list string) ([]string, error) {
	checks := SplitList(list)
	for _, name := range checks {
		if !slices.Contains(AllChecks, name) {
			return nil, errUnknownCheck(name)
		}
	}
	if len(checks) == 0 {
		return AllChecks, nil
	}
	return checks, nil
}

// Config is one verification.
type Config struct {
	// Env is the environment, loaded with envs.Load (AccountID, Region).
	Env envs.Environment
	// AWS is the configuration from awsconf.Load.
	AWS aws.Config
	// Policy holds timeouts and benchmark settings; see PolicyFor.
	Policy Policy
	// Target: cluster and service (default: the environment's), the task
	// definition just deployed, the API URL and the revision (git SHA or
	// image tag) the app should report.
	Target report.Target
	// ContainerName, LogGroup and LogStreamPrefix locate a stopped task's
	// logs (awslogs streams are prefix/container/task-id).
	ContainerName, LogGroup, LogStreamPrefix string
	// HealthPath is appended to Target.URL for the health check ("/health").
	HealthPath string
	// BenchPaths are the endpoints the benchmark requests, round-robin
	// (default: HealthPath).
	BenchPaths []string
	// Integration runs the app's suite; nil skips the integration check.
	Integration integration.Runner
	// Checks selects checks to run (default AllChecks); preflight runs
	// whenever a selected check calls AWS.
	Checks []string
	// HTTPClient is used by health; nil uses a default client.
	HTTPClient *http.Client
	// Progress receives readable progress lines; nil discards them.
	Progress io.Writer
	// Redact lists values (credentials) the report must never print.
	Redact []string
}

// Run verifies and returns the report. It never returns early on a failed
// check: every selected check gets an entry (run, failed, or skipped with
// the reason).
func Run(ctx context.Context, cfg Config) *report.Report {
	cfg = cfg.withDefaults()
	rep := &report.Report{Environment: cfg.Env.Name, Target: cfg.Target, Started: time.Now()}
	rep.Target.Account, rep.Target.Region = cfg.Env.AccountID, cfg.Env.Region
	rep.Redact(cfg.Redact...)
	v := &verification{cfg: cfg, progress: report.NewProgress(cfg.Progress, rep.Mask)}
	defer func() { rep.Finished = time.Now() }()

	pending := notApplicable(rep, v.cfg.Env, slices.Clone(v.cfg.Checks))
	skipRest := func(reason string) {
		for _, name := range pending {
			rep.Add(skipped(name, reason))
		}
		pending = nil
	}
	take := func(name string) bool {
		i := slices.Index(pending, name)
		if i < 0 {
			return false
		}
		pending = slices.Delete(pending, i, i+1)
		return true
	}

	if NeedsAWS(pending) {
		c := runStep(ctx, v.progress, step{CheckPreflight, time.Minute, v.preflight})
		rep.Add(c)
		if c.Verdict != report.Pass {
			skipRest("the preflight refused the AWS credentials; nothing was checked")
			return rep
		}
	}
	if take(CheckRollout) {
		v.progress.Printf(CheckRollout, "watching %s/%s roll out %s", v.cfg.Target.Cluster, v.cfg.Target.Service, v.cfg.Target.TaskDefinition)
		c := runStep(ctx, v.progress, step{CheckRollout, v.cfg.Policy.RolloutTimeout, v.rollout})
		rep.Add(c)
		if c.Verdict != report.Pass {
			outcome, _, _ := strings.Cut(c.Summary, ":")
			skipRest("the rollout did not complete (" + outcome + "), so the new version is not what answers; see the rollout check")
			return rep
		}
	}

	steps := make([]step, 0, len(pending))
	for _, name := range pending {
		steps = append(steps, v.step(name))
	}
	results := make([]report.Check, len(steps))
	var wg conc.WaitGroup
	for i, s := range steps {
		wg.Go(func() { results[i] = runStep(ctx, v.progress, s) })
	}
	wg.Wait()
	for _, c := range results {
		rep.Add(c)
	}
	return rep
}

func (v *verification) step(name string) step {
	p := v.cfg.Policy
	switch name {
	case CheckStatus:
		return step{name, p.StatusTimeout, v.status}
	case CheckHealth:
		return step{name, p.HealthTimeout, v.health}
	case CheckIntegration:
		return step{name, p.IntegrationTimeout, v.integration}
	case CheckBench:
		return step{name, p.benchTimeout(), v.bench}
	}
	return step{name, 0, func(context.Context, *report.Check) error { return errUnknownCheck(name) }}
}

// verification is one Run's state, shared (read-only) by the checks.
type verification struct {
	cfg      Config
	progress *report.Progress
}

func (c Config) withDefaults() Config {
	if c.HealthPath == "" {
		c.HealthPath = "/health"
	}
	if len(c.BenchPaths) == 0 {
		c.BenchPaths = []string{c.HealthPath}
	}
	if len(c.Checks) == 0 {
		c.Checks = AllChecks
	}
	if aws := c.Env.Name != "" && !c.Env.Local; aws {
		if c.Target.Cluster == "" {
			c.Target.Cluster = c.Env.ClusterName()
		}
		if c.Target.Service == "" {
			c.Target.Service = c.Env.ServiceName()
		}
		if c.ContainerName == "" {
			c.ContainerName = c.Env.ContainerName()
		}
		if c.LogGroup == "" {
			c.LogGroup = c.Env.LogGroupName()
		}
	}
	if c.LogStreamPrefix == "" {
		c.LogStreamPrefix = envs.LogStreamPrefix
	}
	if c.Policy == (Policy{}) {
		if p, err := PolicyFor(c.Env.Name); err == nil {
			c.Policy = p
		}
	}
	c.Target.URL = strings.TrimRight(c.Target.URL, "/")
	awsconf.CountRetries(&c.AWS) // a config not made by awsconf.Load counts too
	return c
}

// url joins the API URL and a path.
func (v *verification) url(path string) string {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return v.cfg.Target.URL + path
}
