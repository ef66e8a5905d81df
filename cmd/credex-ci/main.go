// Command credex-ci verifies a deployment of credex-core: the rollout, the
// service status, the health endpoint, the app's integration suite and a
// benchmark, with a report for machines (JSON) and people (Markdown).
//
//	go run ./cmd/credex-ci verify --env=stage --task-definition=credex-core-staging:42 --api-url=https://api.example
//
// Run `credex-ci help` for the subcommands, flags and exit codes.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes scripts can rely on.
const (
	exitVerified  = 0 // every check passed (or was skipped on purpose)
	exitFailed    = 1 // a check failed or could not decide
	exitUsage     = 2 // bad flags or input; nothing was called
	exitPreflight = 3 // the AWS credentials were refused (none, invalid, wrong account); nothing was checked
	exitTimedOut  = 4 // the only failures are checks that ran out of time
	// exitSuperseded: a newer deployment replaced the one verified before
	// it settled; nothing is known to be wrong with it, but it is not what
	// runs (verify the newer one, or deploy again; never roll back).
	exitSuperseded = 5
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// subcommand is one verb of the CLI.
type subcommand struct {
	name, summary string
	// checks run by this subcommand (nil: all).
	checks []string
	// needs say which target flags must be set.
	needs needs
}

// run is the whole CLI: it parses args, runs the subcommand, writes the
// report and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage())
		return exitVerified
	case "testbed":
		return runTestbed(ctx, args[1:], stdout, stderr)
	}
	for _, sc := range subcommands {
		if sc.name == args[0] {
			return sc.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "credex-ci: unknown command %q\n\n%s", args[0], usage())
	return exitUsage
}
