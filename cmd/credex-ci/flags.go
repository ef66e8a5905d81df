package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/integration"
	"github.com/great-sun-group/credex-ci/internal/verify"
)

// needs says which target flags a subcommand cannot do without.
type needs struct{ taskDefinition, url bool }

// options are the flags every subcommand shares.
type options struct {
	env, terraformDir, endpoint, profile               string
	cluster, service, taskDefinition, apiURL, revision string
	terraformOutputs                                   string
	integrationDir, integrationCommand                 string
	reportJSON, reportMD                               string
	checks                                             string
	// tune holds the flags the Dagger function shares (one parser).
	tune verify.Overrides
}

func (sc subcommand) flags(o *options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("credex-ci "+sc.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.env, "env", "", "environment: "+strings.Join(envs.Names(), " or ")+" (required)")
	fs.StringVar(&o.terraformDir, "terraform-dir", "terraform", "the Terraform stack; the account and region are read from its environments/<env>.tfvars")
	fs.StringVar(&o.endpoint, "aws-endpoint-url", "", "send every AWS call to this endpoint (a local test bed); default $AWS_ENDPOINT_URL, else AWS")
	fs.StringVar(&o.profile, "aws-profile", "", "shared-config profile (default $AWS_PROFILE); credentials otherwise come from the environment or OIDC")
	fs.StringVar(&o.terraformOutputs, "terraform-outputs", "", "file written by `terraform output -json`: cluster, service, task family, container, log group and API URL come from it")
	fs.StringVar(&o.cluster, "cluster", "", "ECS cluster (default: the environment's, e.g. credex-cluster-staging)")
	fs.StringVar(&o.service, "service", "", "ECS service (default: the environment's, e.g. credex-core-service-staging)")
	fs.StringVar(&o.taskDefinition, "task-definition", "", "the task definition just deployed, family:revision or ARN")
	fs.StringVar(&o.apiURL, "api-url", "", "the API's base URL, e.g. https://api.stage.example")
	fs.StringVar(&o.revision, "revision", "", "git SHA or image tag the app must report in its health body (optional)")
	fs.StringVar(&o.tune.HealthPath, "health-path", "/health", "health endpoint, relative to --api-url")
	fs.IntVar(&o.tune.HealthAttempts, "health-attempts", 0, "how many times to try the health endpoint (default: the environment's policy)")
	fs.StringVar(&o.tune.BenchPaths, "bench-paths", "", "comma-separated endpoints the benchmark requests (default: --health-path)")
	fs.DurationVar(&o.tune.BenchDuration, "bench-duration", 0, "benchmark duration (default: the environment's policy)")
	fs.Float64Var(&o.tune.BenchRate, "bench-rate", 0, "benchmark rate in requests/s (default: the environment's policy)")
	fs.DurationVar(&o.tune.RolloutTimeout, "rollout-timeout", 0, "how long to wait for the rollout (default: the environment's policy)")
	fs.StringVar(&o.integrationDir, "integration-dir", "", "the app's checkout: run its integration suite there with API_URL set (default: no integration tests)")
	fs.StringVar(&o.integrationCommand, "integration-command", strings.Join(integration.DefaultCommand, " "), "the integration suite's command; it must print TAP or JUnit XML")
	fs.StringVar(&o.reportJSON, "report-json", "", "write the report as JSON to this file")
	fs.StringVar(&o.reportMD, "report-md", "", "write the report as Markdown to this file (also appended to $GITHUB_STEP_SUMMARY when set)")
	if sc.name == "verify" {
		fs.StringVar(&o.checks, "checks", "", "comma-separated subset of checks to run: "+strings.Join(verify.AllChecks, ","))
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "credex-ci %s: %s.\n\nUsage:\n  credex-ci %s --env=%s [flags]\n\nFlags:\n", sc.name, sc.summary, sc.name, strings.Join(envs.Names(), "|"))
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\nExit codes: 0 verified, 1 failed, 2 usage, 3 preflight refused, 4 timed out, 5 superseded. See `credex-ci help` and docs/verify.md.\n")
	}
	return fs
}

const errNoTaskDefinition = "--task-definition is required to watch the rollout: pass the family:revision just deployed (e.g. --task-definition=credex-core-staging:42, as printed by the deploy, or --terraform-outputs with task_definition_arn)"

// errUsage marks input errors (exit code 2).
var errUsage = errors.New("usage")

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// validate checks the flags before anything is called.
func (o *options) validate(sc subcommand, args []string) error {
	if len(args) > 0 {
		return usageErr("unexpected argument %q: every input is a flag, e.g. --task-definition=%s", args[0], args[0])
	}
	env, err := envs.Lookup(o.env)
	if err != nil {
		return usageErr("%v", err)
	}
	// Locally there is no rollout to watch (it is not applicable), so no
	// task definition either.
	if sc.needs.taskDefinition && !env.Local && o.taskDefinition == "" && o.terraformOutputs == "" && !skips(o.checks, verify.CheckRollout) {
		return usageErr("%s", errNoTaskDefinition)
	}
	if o.apiURL != "" {
		if err := verify.CheckAPIURL(o.apiURL, false); err != nil {
			return usageErr("%v", err)
		}
	}
	if o.integrationDir != "" {
		if st, err := os.Stat(o.integrationDir); err != nil || !st.IsDir() {
			return usageErr("--integration-dir %q is not a directory: pass the app's checkout (where package.json is)", o.integrationDir)
		}
	}
	if err := o.tune.Validate(); err != nil {
		return usageErr("%v", err)
	}
	return nil
}

// skips reports whether a --checks list excludes check.
func skips(checks, check string) bool {
	list := verify.SplitList(checks)
	return len(list) > 0 && !slices.Contains(list, check)
}
