package tfscripts

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ScriptsDir is where the neo4j module's scripts are, relative to this
// package.
const ScriptsDir = "../../terraform/modules/neo4j/scripts"

// Sandbox is a fake machine for a script's functions: a directory tree the
// script is pointed at instead of the real one (its DISK_BY_ID, FSTAB, ...),
// and a bin directory of fake commands put first on PATH, each of which
// appends its name and arguments to a call log.
type Sandbox struct {
	// Root is the sandbox's directory; Bin its fake commands.
	Root, Bin string
	// Env is added to every run (KEY=value).
	Env []string
	log string
}

// NewSandbox makes a sandbox under dir (a test's temporary directory).
func NewSandbox(dir string) (*Sandbox, error) {
	s := &Sandbox{Root: dir, Bin: filepath.Join(dir, "bin"), log: filepath.Join(dir, "calls.log")}
	if err := os.MkdirAll(s.Bin, 0o755); err != nil {
		return nil, err
	}
	return s, os.WriteFile(s.log, nil, 0o644)
}

// Fake installs a fake command: body is bash, run after the call is logged;
// $SANDBOX is the sandbox's root.
func (s *Sandbox) Fake(name, body string) error {
	script := "#!/usr/bin/env bash\nprintf '%s\\n' \"" + name + " $*\" >>\"$SANDBOX/calls.log\"\n" + body + "\n"
	return os.WriteFile(filepath.Join(s.Bin, name), []byte(script), 0o755)
}

// Path is a path inside the sandbox.
func (s *Sandbox) Path(elem ...string) string {
	return filepath.Join(append([]string{s.Root}, elem...)...)
}

// Calls are the fake commands' calls so far, one "name args" per call.
func (s *Sandbox) Calls() []string {
	data, _ := os.ReadFile(s.log)
	text := strings.TrimSpace(string(data))
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

// Called reports the calls of one fake command.
func (s *Sandbox) Called(name string) []string {
	var out []string
	for _, c := range s.Calls() {
		if c == name || strings.HasPrefix(c, name+" ") {
			out = append(out, c)
		}
	}
	return out
}

// Result is a finished run.
type Result struct {
	Stdout, Stderr string
	// ExitCode is the script's exit code.
	ExitCode int
}

// Run sources the script files (under ScriptsDir) in bash with `set -euo
// pipefail`, as the boot script runs them, then runs code. Only the
// sandbox's bin and the system's own directories are on PATH.
func (s *Sandbox) Run(ctx context.Context, files []string, code string) (Result, error) {
	var src strings.Builder
	src.WriteString("set -euo pipefail\n")
	for _, f := range files {
		abs, err := filepath.Abs(filepath.Join(ScriptsDir, f))
		if err != nil {
			return Result{}, err
		}
		fmt.Fprintf(&src, "source %q\n", abs)
	}
	src.WriteString(code)
	cmd := exec.CommandContext(ctx, "bash", "-c", src.String())
	cmd.Dir = s.Root
	cmd.Env = append([]string{"PATH=" + s.Bin + ":/usr/local/bin:/usr/bin:/bin", "SANDBOX=" + s.Root, "HOME=" + s.Root, "LC_ALL=C"}, s.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	if exit, ok := err.(*exec.ExitError); ok {
		r.ExitCode = exit.ExitCode()
		return r, nil
	}
	return r, err
}
