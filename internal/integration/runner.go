package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Runner runs the app's integration suite against apiURL. Implementations
// differ in where the suite runs (a local checkout, the app's test container
// in Dagger); all of them return the raw report for Parse.
type Runner interface {
	Run(ctx context.Context, apiURL string) (Output, error)
}

// Output is what a run produced.
type Output struct {
	// Raw is the report: the command's stdout, or the report file's contents.
	Raw []byte `json:"-"`
	// Log is the rest of the output (stderr, or stdout and stderr when the
	// report came from a file), for evidence when the report is unreadable.
	Log []byte `json:"-"`
	// ExitCode is the command's exit status.
	ExitCode int `json:"exitCode"`
}

// waitDelay is how long Run waits for the output pipes to close after the
// command was killed or exited.
var waitDelay = 5 * time.Second

// DefaultCommand is the suite credex-core runs against a deployed URL.
var DefaultCommand = []string{"npm", "run", "test:integration"}

// CommandRunner runs the suite as a local command in Dir, with API_URL set to
// the URL under test (the command-line entry uses it).
type CommandRunner struct {
	// Dir is the app's checkout (where package.json is).
	Dir string
	// Command defaults to DefaultCommand.
	Command []string
	// Env is added to the current environment (after it, so it wins).
	Env []string
	// ReportFile, when set, is the JUnit XML file the reporter writes (for
	// example jest-junit's junit.xml), relative to Dir; it is removed before
	// the run so a stale report is never read.
	ReportFile string
}

// Run runs the command. A non-zero exit is not an error (the report says what
// failed); an error means the command could not be run at all.
func (c CommandRunner) Run(ctx context.Context, apiURL string) (Output, error) {
	if apiURL == "" {
		return Output{}, errors.New("integration tests: API URL is empty: pass the URL of the deployed service")
	}
	argv := c.Command
	if len(argv) == 0 {
		argv = DefaultCommand
	}
	report := ""
	if c.ReportFile != "" {
		report = c.ReportFile
		if !filepath.IsAbs(report) {
			report = filepath.Join(c.Dir, report)
		}
		if err := os.Remove(report); err != nil && !errors.Is(err, os.ErrNotExist) {
			return Output{}, fmt.Errorf("integration tests: removing the stale report %s: %w", report, err)
		}
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = append(append(os.Environ(), "API_URL="+apiURL, "CI=true"), c.Env...)
	// On timeout only npm is killed; the test runner it started would keep
	// the output pipes open and Run waiting until it finished by itself.
	cmd.WaitDelay = waitDelay
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := Output{Raw: stdout.Bytes(), Log: stderr.Bytes()}
	var exit *exec.ExitError
	var notRun *exec.Error
	command := strings.Join(argv, " ")
	switch {
	case errors.As(err, &exit) && ctx.Err() == nil:
		out.ExitCode = exit.ExitCode()
	case ctx.Err() != nil:
		return out, fmt.Errorf("integration tests: %q in %s was stopped: %w", command, c.Dir, ctx.Err())
	case errors.As(err, &notRun):
		// exec.Error names the program again; its cause is enough here.
		return out, fmt.Errorf("integration tests: running %q in %s: %w (is it installed, and the app's dependencies with npm ci?)", command, c.Dir, notRun.Err)
	case err != nil:
		return out, fmt.Errorf("integration tests: running %q in %s: %w", command, c.Dir, err)
	}
	if report != "" {
		data, rerr := os.ReadFile(report)
		if rerr != nil {
			return out, fmt.Errorf("integration tests: the command did not write the report %s: %w (configure jest-junit's outputFile, or clear ReportFile to read TAP from stdout)", report, rerr)
		}
		out.Log = append(append(out.Raw, '\n'), out.Log...)
		out.Raw = data
	}
	return out, nil
}
