package testbed

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/great-sun-group/credex-ci/internal/envs"
)

// DemoOptions configure StartDemo.
type DemoOptions struct {
	// Scenario is a preset name (ScenarioNames); empty means "healthy".
	Scenario string
	// Step is the simulator's time between two rollout state changes;
	// zero means one second.
	Step time.Duration
	// Listen and AppListen are where the AWS endpoint and the app listen
	// (host:port); empty means 127.0.0.1 on a free port.
	Listen, AppListen string
	// TerraformDir receives the tfvars naming the bed's account; empty
	// means a new temporary directory, removed by Close.
	TerraformDir string
}

// Demo is a test bed with one staged deployment and an app answering
// /health: everything `credex-ci verify` needs, with no AWS.
type Demo struct {
	Scenario   string
	Bed        *Bed
	App        *App
	Deployment *Deployment
	// TerraformDir holds environments/<env>.tfvars naming AccountID.
	TerraformDir string
	// Revision is the build the app reports.
	Revision string

	removeDir bool
}

// StartDemo starts a bed and the app, stages the scenario's deployment
// (its rollout starts at once) and writes the terraform directory. On
// error nothing is left running.
func StartDemo(ctx context.Context, o DemoOptions) (_ *Demo, err error) {
	if o.Scenario == "" {
		o.Scenario = "healthy"
	}
	setup, err := Preset(o.Scenario, o.Step)
	if err != nil {
		return nil, err
	}
	d := &Demo{Scenario: o.Scenario, Revision: Revision, TerraformDir: o.TerraformDir}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if d.TerraformDir == "" {
		if d.TerraformDir, err = os.MkdirTemp("", "credex-testbed-terraform-"); err != nil {
			return nil, fmt.Errorf("test bed: %w", err)
		}
		d.removeDir = true
	}
	if d.Bed, err = StartWith(ctx, Options{Addr: o.Listen}); err != nil {
		return nil, err
	}
	if err = WriteTerraformDir(d.TerraformDir, AccountID, d.Bed.Region); err != nil {
		return nil, err
	}
	if d.App, err = StartApp(orFreePort(o.AppListen), d.Revision); err != nil {
		return nil, err
	}
	if d.Deployment, err = d.Bed.Deploy(ctx, setup); err != nil {
		return nil, err
	}
	return d, nil
}

func orFreePort(addr string) string {
	if addr == "" {
		return "127.0.0.1:0"
	}
	return addr
}

// Close stops the app and the bed and removes a temporary terraform
// directory.
func (d *Demo) Close() {
	if d.App != nil {
		d.App.Close()
	}
	if d.Bed != nil {
		d.Bed.Close()
	}
	if d.removeDir {
		_ = os.RemoveAll(d.TerraformDir)
	}
}

// Environment is the credentials a client of the bed needs, as
// NAME=value pairs: static test credentials the bed accepts.
func (d *Demo) Environment() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + SecretAccessKey}
}

// VerifyArgs are the arguments of `credex-ci verify` against the demo.
func (d *Demo) VerifyArgs() []string {
	env, _ := envs.Lookup("stage")
	return []string{
		"verify", "--env=" + env.Name,
		"--aws-endpoint-url=" + d.Bed.URL,
		"--terraform-dir=" + d.TerraformDir,
		"--task-definition=" + shortTaskDefinition(d.Deployment.TaskDefinition),
		"--api-url=" + d.App.URL,
		"--revision=" + d.Revision,
	}
}

// shortTaskDefinition turns a task definition ARN into family:revision,
// what a person reads and types.
func shortTaskDefinition(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// Instructions is what a person runs in a second terminal: program is
// how they invoke credex-ci (e.g. "go run ./cmd/credex-ci").
func (d *Demo) Instructions(program string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "credex-ci test bed: local AWS stand-in (kumo + ECS simulator), not AWS.\n\n")
	fmt.Fprintf(&b, "  AWS endpoint   %s (account %s, region %s)\n", d.Bed.URL, AccountID, d.Bed.Region)
	fmt.Fprintf(&b, "  scenario       %s: %s deployed to %s/%s, rolling out now\n", d.Scenario,
		shortTaskDefinition(d.Deployment.TaskDefinition), d.Deployment.Cluster, d.Deployment.Service)
	fmt.Fprintf(&b, "  app            %s/health reports build %s\n", d.App.URL, d.Revision)
	fmt.Fprintf(&b, "  terraform dir  %s\n\n", d.TerraformDir)
	fmt.Fprintf(&b, "In a second terminal, run:\n\n")
	args := append(d.Environment(), strings.Fields(program)...)
	fmt.Fprintf(&b, "  %s \\\n", strings.Join(args, " "))
	verify := d.VerifyArgs()
	lines := append([]string{strings.Join(verify[:2], " ")}, verify[2:]...)
	for i, l := range lines {
		indent, cont := "      ", " \\"
		if i == 0 {
			indent = "    "
		}
		if i == len(lines)-1 {
			cont = ""
		}
		fmt.Fprintf(&b, "%s%s%s\n", indent, l, cont)
	}
	fmt.Fprintf(&b, "\n`watch`, `status`, `health` and `bench` take the same flags. Ctrl-C stops the test bed.\n")
	return b.String()
}
