package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/great-sun-group/credex-ci/internal/awsconf"
	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/integration"
	"github.com/great-sun-group/credex-ci/internal/report"
	"github.com/great-sun-group/credex-ci/internal/verify"
)

// run parses the subcommand's flags, builds the verification, runs it and
// writes the report: Markdown on stdout, progress on stderr.
func (sc subcommand) run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := sc.flags(&o, stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitVerified
		}
		return exitUsage
	}
	cfg, err := o.config(ctx, sc, fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "credex-ci %s: %v\n", sc.name, strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		if errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "Run `credex-ci %s --help` for the flags.\n", sc.name)
			return exitUsage
		}
		return exitPreflight
	}
	cfg.Progress = stderr
	rep := verify.Run(ctx, cfg)
	if err := o.writeReports(rep, stdout); err != nil {
		fmt.Fprintf(stderr, "credex-ci %s: %v\n", sc.name, err)
		return exitFailed
	}
	return exitCode(rep)
}

// config turns the flags into a verification, refusing bad input before
// any call to AWS.
func (o *options) config(ctx context.Context, sc subcommand, args []string) (verify.Config, error) {
	if err := o.validate(sc, args); err != nil {
		return verify.Config{}, err
	}
	checks := sc.checks
	if checks == nil {
		var err error
		if checks, err = verify.ParseChecks(o.checks); err != nil {
			return verify.Config{}, usageErr("--checks: %v", err)
		}
	}
	env, err := envs.Lookup(o.env)
	if err != nil {
		return verify.Config{}, usageErr("%v", err)
	}
	if env.Local && (sc.checks != nil || o.checks != "") {
		// Checks named (by --checks or the subcommand) must apply locally;
		// the default, every check, reports those that do not as n/a.
		if err := verify.CheckApplicable(env, checks); err != nil {
			return verify.Config{}, usageErr("%v", err)
		}
	}
	usesAWS := verify.NeedsAWS(checks) && !env.Local
	if usesAWS {
		if env, err = envs.Load(os.DirFS(o.terraformDir), o.env); err != nil {
			return verify.Config{}, usageErr("%v (or pass --terraform-dir=<the terraform/ directory>)", err)
		}
	}
	cfg := verify.Config{
		Env: env,
		// Credentials in the environment are masked wherever the app or
		// AWS might echo them (a health body, log lines, events).
		Redact: []string{os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN")},
		Target: report.Target{Cluster: o.cluster, Service: o.service, TaskDefinition: o.taskDefinition, URL: o.apiURL, Revision: o.revision},
		Checks: checks,
	}
	if err := o.applyTerraformOutputs(&cfg); err != nil {
		return verify.Config{}, err
	}
	if sc.needs.taskDefinition && !env.Local && cfg.Target.TaskDefinition == "" && slices.Contains(checks, verify.CheckRollout) {
		return verify.Config{}, usageErr("%s", errNoTaskDefinition)
	}
	needsURL := sc.needs.url && verify.NeedsURL(checks)
	if needsURL && cfg.Target.URL == "" {
		return verify.Config{}, usageErr("--api-url is required for the %s check(s): pass the API's base URL (or --terraform-outputs with an api_url output)", strings.Join(checks, ", "))
	}

	cfg.Policy, _ = verify.PolicyFor(env.Name)
	if err := o.tune.Apply(&cfg); err != nil {
		return verify.Config{}, usageErr("%v", err)
	}
	if o.integrationDir != "" {
		cfg.Integration = integration.CommandRunner{Dir: o.integrationDir, Command: strings.Fields(o.integrationCommand)}
	}
	if usesAWS {
		if cfg.AWS, err = awsconf.Load(ctx, awsconf.Options{Region: env.Region, EndpointURL: o.endpoint, Profile: o.profile}); err != nil {
			if strings.Contains(err.Error(), "endpoint URL") {
				return verify.Config{}, usageErr("%v", err)
			}
			return verify.Config{}, err
		}
	}
	return cfg, nil
}

// writeReports prints the Markdown report and writes the requested files.
func (o *options) writeReports(rep *report.Report, stdout io.Writer) error {
	md := rep.Markdown()
	fmt.Fprint(stdout, md)
	if o.reportMD != "" {
		if err := os.WriteFile(o.reportMD, []byte(md), 0o644); err != nil {
			return fmt.Errorf("writing --report-md: %w", err)
		}
	}
	if o.reportJSON != "" {
		b, err := rep.JSON()
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.reportJSON, b, 0o644); err != nil {
			return fmt.Errorf("writing --report-json: %w", err)
		}
	}
	_, err := report.AppendStepSummary(md)
	return err
}

// exitCode maps a report to the documented exit codes: any failure that is
// neither a timeout nor a supersession is 1; then a supersession is 5 (a
// definite answer: a newer deployment runs), a timeout 4.
func exitCode(rep *report.Report) int {
	if c := rep.Find(verify.CheckPreflight); c != nil && c.Verdict.Failed() {
		return exitPreflight
	}
	if rep.OK() {
		return exitVerified
	}
	timedOut, superseded := false, false
	for _, c := range rep.Checks {
		switch {
		case !c.Verdict.Failed():
		case c.Outcome == report.Superseded:
			superseded = true
		case c.TimedOut:
			timedOut = true
		default:
			return exitFailed
		}
	}
	switch {
	case superseded:
		return exitSuperseded
	case timedOut:
		return exitTimedOut
	}
	return exitFailed
}
