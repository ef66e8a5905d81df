package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/great-sun-group/credex-ci/internal/testbed"
)

const testbedSummary = "local demo and test bed, NOT for AWS: a scripted rollout and a stand-in app on 127.0.0.1; prints the verify command to try"

// runTestbed serves a local test bed until ctx is cancelled (Ctrl-C,
// SIGTERM): the AWS endpoint, one staged deployment of the scenario and an
// app answering /health. It prints, on stdout, what to run in a second
// terminal.
func runTestbed(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o testbed.DemoOptions
	fs := flag.NewFlagSet("credex-ci testbed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Scenario, "scenario", "healthy", "the scripted rollout: "+strings.Join(testbed.ScenarioNames(), ", "))
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:4566", "host:port of the AWS endpoint (port 0: a free one)")
	fs.StringVar(&o.AppListen, "app-listen", "127.0.0.1:5055", "host:port of the stand-in app's /health (port 0: a free one)")
	fs.StringVar(&o.RegistryListen, "registry-listen", "127.0.0.1:5050", "host:port of the container registry standing in for ECR's (port 0: a free one); Dagger takes it as --registry=tcp://localhost:PORT")
	fs.BoolVar(&o.WithRepository, "with-repository", false, "create the staging ECR repository (IMMUTABLE, as `registry --env=stage` does), so `publish --env=stage` needs no Terraform")
	fs.DurationVar(&o.Step, "step", time.Second, "time between two rollout state changes (slow: 5 times longer)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "credex-ci testbed: %s.\n\nNothing here reaches AWS: the endpoint is an in-process emulator with a static\ntest account (%s). The scenario's rollout starts when a client first\nlooks at the service, so the verify command you run watches it live.\n\nUsage:\n  credex-ci testbed [--scenario=%s] [flags]\n\nFlags:\n", testbedSummary, testbed.AccountID, strings.Join(testbed.ScenarioNames(), "|"))
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\nExit codes: 0 stopped by Ctrl-C or SIGTERM, 1 could not start (e.g. the address is taken), 2 usage.\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitVerified
		}
		return exitUsage
	}
	if err := validateTestbed(o, fs.Args()); err != nil {
		fmt.Fprintf(stderr, "credex-ci testbed: %v\nRun `credex-ci testbed --help` for the flags.\n", err)
		return exitUsage
	}
	o.Log = stderr
	demo, err := testbed.StartDemo(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "credex-ci testbed: %v\n", err)
		return exitFailed
	}
	defer demo.Close()
	fmt.Fprint(stdout, demo.Instructions(program()))
	<-ctx.Done()
	fmt.Fprintln(stderr, "credex-ci testbed: stopping")
	return exitVerified
}

// validateTestbed refuses bad flags before anything starts.
func validateTestbed(o testbed.DemoOptions, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %q: every input is a flag, e.g. --scenario=%s", args[0], args[0])
	}
	if !slices.Contains(testbed.ScenarioNames(), o.Scenario) {
		return fmt.Errorf("unknown scenario %q: choose one of %s", o.Scenario, strings.Join(testbed.ScenarioNames(), ", "))
	}
	for flagName, addr := range map[string]string{"--listen": o.Listen, "--app-listen": o.AppListen, "--registry-listen": o.RegistryListen} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("%s %q is not host:port: pass e.g. %s=127.0.0.1:0", flagName, addr, flagName)
		}
	}
	if o.Step <= 0 {
		return fmt.Errorf("--step must be positive, e.g. --step=1s")
	}
	return nil
}

// program is how the person invoked credex-ci, for the printed command:
// `go run` builds into a temporary directory nobody can type.
func program() string {
	if strings.Contains(os.Args[0], "go-build") {
		return "go run ./cmd/credex-ci"
	}
	return os.Args[0]
}
