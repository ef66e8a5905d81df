// Package tfrun runs the real terraform binary for tests, with providers
// installed only from a local filesystem mirror (no registry, no network),
// in a clean environment: the caller's AWS_* and TF_* variables never leak
// into a run.
//
// Find locates terraform on PATH and the mirror (CREDEX_TF_PLUGIN_MIRROR,
// default /opt/tf-plugins), checks the Terraform version and that the mirror
// holds the providers a lock file selects, and fails naming what to install
// when either is missing.
package tfrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// MinVersion is the oldest Terraform the credex-core stack runs with (its
// write-only arguments need 1.11).
const MinVersion = "1.11.0"

// MirrorEnv names the environment variable giving the provider mirror, and
// DefaultMirror is where the machine image ships it.
const (
	MirrorEnv     = "CREDEX_TF_PLUGIN_MIRROR"
	DefaultMirror = "/opt/tf-plugins"
)

// Provider is a provider a stack uses, as its lock file selects it.
type Provider struct {
	// Source is the full address: registry.terraform.io/hashicorp/aws.
	Source  string
	Version string
}

// Terraform is a terraform binary set up to install providers from the
// mirror only.
type Terraform struct {
	// Path is the binary; Version its version (1.11.4).
	Path, Version string
	// Mirror is the provider mirror directory.
	Mirror string
	// CLIConfig is the CLI configuration file written for the runs
	// (provider_installation from the mirror only).
	CLIConfig string
}

// Find locates terraform and the provider mirror, checks that the mirror
// holds every provider in providers for this platform, and writes the CLI
// configuration into dir.
func Find(dir string, providers ...Provider) (*Terraform, error) {
	path, err := exec.LookPath("terraform")
	if err != nil {
		return nil, fmt.Errorf("terraform is not on PATH: install Terraform %s or newer (https://developer.hashicorp.com/terraform/install)", MinVersion)
	}
	out, err := exec.Command(path, "version", "-json").Output()
	if err != nil {
		return nil, fmt.Errorf("running %s version: %w: install Terraform %s or newer", path, err, MinVersion)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil || v.Version == "" {
		return nil, fmt.Errorf("%s version -json printed no version: install Terraform %s or newer", path, MinVersion)
	}
	if !AtLeast(v.Version, MinVersion) {
		return nil, fmt.Errorf("%s is Terraform %s; the stack needs %s or newer (write-only arguments): install a newer Terraform (https://developer.hashicorp.com/terraform/install)", path, v.Version, MinVersion)
	}
	mirror := os.Getenv(MirrorEnv)
	if mirror == "" {
		mirror = DefaultMirror
	}
	platform := platform()
	for _, p := range providers {
		if !mirrorHas(mirror, p, platform) {
			return nil, fmt.Errorf("the provider mirror %s has no %s %s for %s: set %s to a directory that has it, made with "+
				"`terraform providers mirror -platform=%s DIR` in terraform/ on a machine with registry access", mirror, p.Source, p.Version, platform, MirrorEnv, platform)
		}
	}
	abs, err := filepath.Abs(mirror)
	if err != nil {
		return nil, err
	}
	config := filepath.Join(dir, "terraform.tfrc")
	text := fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/*/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
`, abs)
	if err := os.WriteFile(config, []byte(text), 0o644); err != nil {
		return nil, err
	}
	return &Terraform{Path: path, Version: v.Version, Mirror: abs, CLIConfig: config}, nil
}

// ForStack is Find for the providers a stack's .terraform.lock.hcl
// selects (lockFile), with the CLI configuration written into dir.
func ForStack(lockFile, dir string) (*Terraform, error) {
	providers, err := LockedProviders(lockFile)
	if err != nil {
		return nil, err
	}
	return Find(dir, providers...)
}

// platform is Terraform's name for this machine's platform: linux_amd64.
func platform() string { return runtime.GOOS + "_" + runtime.GOARCH }

// mirrorHas reports whether a mirror holds a provider for a platform, in
// either of the layouts `terraform providers mirror` and Terraform accept:
// unpacked (HOST/NS/TYPE/VERSION/PLATFORM/) or packed (HOST/NS/TYPE/
// terraform-provider-TYPE_VERSION_PLATFORM.zip).
func mirrorHas(mirror string, p Provider, platform string) bool {
	dir := filepath.Join(mirror, filepath.FromSlash(p.Source))
	if st, err := os.Stat(filepath.Join(dir, p.Version, platform)); err == nil && st.IsDir() {
		return true
	}
	typ := filepath.Base(p.Source)
	_, err := os.Stat(filepath.Join(dir, fmt.Sprintf("terraform-provider-%s_%s_%s.zip", typ, p.Version, platform)))
	return err == nil
}

// AtLeast reports whether version (1.11.4, 1.12.0-beta1) is min or newer;
// pre-releases count as their release.
func AtLeast(version, min string) bool {
	parse := func(s string) [3]int {
		var out [3]int
		s, _, _ = strings.Cut(strings.TrimPrefix(s, "v"), "-")
		for i, part := range strings.SplitN(s, ".", 3) {
			out[i], _ = strconv.Atoi(part)
		}
		return out
	}
	a, b := parse(version), parse(min)
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return true
}

// LockedProviders reads the providers a .terraform.lock.hcl selects.
func LockedProviders(lockFile string) ([]Provider, error) {
	src, err := os.ReadFile(lockFile)
	if err != nil {
		return nil, err
	}
	f, diags := hclsyntax.ParseConfig(src, lockFile, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("parsing %s: %s", lockFile, diags.Error())
	}
	var out []Provider
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "provider" || len(b.Labels) != 1 {
			continue
		}
		a, ok := b.Body.Attributes["version"]
		if !ok {
			continue
		}
		v, d := a.Expr.Value(nil)
		if d.HasErrors() || !v.IsKnown() || v.IsNull() {
			continue
		}
		out = append(out, Provider{Source: b.Labels[0], Version: v.AsString()})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s selects no provider", lockFile)
	}
	return out, nil
}

// Result is a finished run.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
}

// Output is stdout and stderr together.
func (r Result) Output() string { return r.Stdout + "\n" + r.Stderr }

// Run runs terraform args in dir. The environment is the caller's without
// any AWS_*, TF_* or CHECKPOINT_* variable, plus the CLI configuration,
// TF_IN_AUTOMATION, TF_INPUT=0, CHECKPOINT_DISABLE, and env (KEY=value).
// A non-zero exit is an error naming the command and its stderr; the
// Result is returned either way.
func (tf *Terraform) Run(ctx context.Context, dir string, env []string, args ...string) (Result, error) {
	cmd := exec.CommandContext(ctx, tf.Path, args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnviron(), "TF_CLI_CONFIG_FILE="+tf.CLIConfig, "TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		r.ExitCode = exit.ExitCode()
		return r, fmt.Errorf("terraform %s (in %s) exited with %d:\n%s", strings.Join(args, " "), dir, r.ExitCode, strings.TrimSpace(r.Stderr))
	}
	if err != nil {
		return r, fmt.Errorf("terraform %s: %w", strings.Join(args, " "), err)
	}
	return r, nil
}

func cleanEnviron() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_") || strings.HasPrefix(name, "TF_") || strings.HasPrefix(name, "CHECKPOINT_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// CopyStack copies a Terraform directory tree to dst, leaving out what init,
// plan and apply leave behind (.terraform/, state files, saved plans) and
// any override files, so a test works on the stack exactly as committed.
func CopyStack(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if name == ".terraform" {
				return fs.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if strings.Contains(name, ".tfstate") || strings.HasSuffix(name, ".tfplan") ||
			name == "override.tf" || strings.HasSuffix(name, "_override.tf") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
}

// LocalBackend writes an override file into a stack directory (a copy:
// never the repository's) replacing its backend with local state at
// statePath.
func LocalBackend(stackDir, statePath string) error {
	text := fmt.Sprintf("# Written by a test: local state instead of the S3 backend.\nterraform {\n  backend \"local\" {\n    path = %q\n  }\n}\n", statePath)
	return os.WriteFile(filepath.Join(stackDir, "backend_override.tf"), []byte(text), 0o644)
}

// PlannedCreates is how many resources a first plan of each environment of
// the credex-core stack (terraform/) creates, the ephemeral passwords not
// being resources: the plan tests against the test bed and the module's
// end-to-end test hold the stack to it, so a change of the stack's shape is
// a change here.
var PlannedCreates = map[string]int{"stage": 93, "prod": 115}
