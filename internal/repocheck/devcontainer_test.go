package repocheck

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

type devcontainer struct {
	Image             string                    `json:"image"`
	Features          map[string]map[string]any `json:"features"`
	PostCreateCommand string                    `json:"postCreateCommand"`
	Secrets           map[string]struct {
		Description string `json:"description"`
	} `json:"secrets"`
}

type devcontainerLock struct {
	Features map[string]struct {
		Version   string   `json:"version"`
		Resolved  string   `json:"resolved"`
		Integrity string   `json:"integrity"`
		DependsOn []string `json:"dependsOn"`
	} `json:"features"`
}

var (
	exactFeature  = regexp.MustCompile(`^(ghcr\.io/[a-z0-9-]+/[a-z0-9/-]+):(\d+\.\d+\.\d+)$`)
	digestFeature = regexp.MustCompile(`^ghcr\.io/[a-z0-9-]+/[a-z0-9/-]+@sha256:[0-9a-f]{64}$`)
	sha256Digest  = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// The Codespace is the third place the pipeline runs: its devcontainer.json
// must parse (JSON with comments), pin every feature to an exact version
// (and, in devcontainer-lock.json, a digest), and install the versions CI
// uses: Go as go.mod, Node as the image's Node, Terraform as the Terraform
// image, the Dagger CLI as dagger.json (the pin test covers post-create.sh).
func TestDevcontainerIsValidAndPinned(t *testing.T) {
	root := repoRoot(t)
	const path = ".devcontainer/devcontainer.json"
	src, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	var dc devcontainer
	if err := UnmarshalJSONC(src, &dc); err != nil {
		t.Fatalf("%s:%v", path, err)
	}

	wantFeatures := map[string]string{ // feature -> its version option, from the repository
		"docker-in-docker": "",
		"go":               goMajorMinor(t, root),
		"node":             imageTag(t, root, `defaultNodeImage\s*=\s*"node:(\d+)-`),
		"terraform":        imageTag(t, root, `defaultTerraformImage\s*=\s*"hashicorp/terraform:(\d+\.\d+\.\d+)@`),
		"aws-cli":          "",
	}
	seen := map[string]bool{}
	for ref, options := range dc.Features {
		m := exactFeature.FindStringSubmatch(ref)
		if m == nil && !digestFeature.MatchString(ref) {
			t.Errorf("%s: feature %s is not pinned: name an exact version (feature:1.2.3) or a digest (feature@sha256:...)", path, ref)
			continue
		}
		name := ref[strings.LastIndex(ref, "/")+1:]
		name, _, _ = strings.Cut(name, ":")
		name, _, _ = strings.Cut(name, "@")
		seen[name] = true
		if want := wantFeatures[name]; want != "" {
			if got, _ := options["version"].(string); got != want {
				t.Errorf("%s: %s installs version %q, want %q (what CI and the images use)", path, ref, got, want)
			}
		}
	}
	for name := range wantFeatures {
		if !seen[name] {
			t.Errorf("%s: no %s feature", path, name)
		}
	}

	// The lock file pins digests; every entry is a feature of ours (or one
	// a feature depends on), at the version its reference names.
	lockSrc, err := os.ReadFile(filepath.Join(root, ".devcontainer/devcontainer-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	var lock devcontainerLock
	if err := json.Unmarshal(lockSrc, &lock); err != nil {
		t.Fatalf(".devcontainer/devcontainer-lock.json: %v", err)
	}
	dependedOn := map[string]bool{}
	for _, l := range lock.Features {
		for _, d := range l.DependsOn {
			dependedOn[d] = true
		}
	}
	for ref, l := range lock.Features {
		if _, ok := dc.Features[ref]; !ok && !dependedOn[ref] {
			t.Errorf("devcontainer-lock.json: %s is neither a feature of devcontainer.json nor one a feature depends on", ref)
		}
		if m := exactFeature.FindStringSubmatch(ref); m != nil && m[2] != l.Version {
			t.Errorf("devcontainer-lock.json: %s locked at version %s", ref, l.Version)
		}
		id, _, _ := strings.Cut(ref, ":")
		if !strings.HasPrefix(l.Resolved, id+"@sha256:") || !digestFeature.MatchString(l.Resolved) || !sha256Digest.MatchString(l.Integrity) {
			t.Errorf("devcontainer-lock.json: %s: resolved %q / integrity %q are not %s@sha256:<digest> / sha256:<digest>", ref, l.Resolved, l.Integrity, id)
		}
	}

	if dc.PostCreateCommand != "bash .devcontainer/post-create.sh" {
		t.Errorf("%s: postCreateCommand = %q, want the pinned installs of bash .devcontainer/post-create.sh", path, dc.PostCreateCommand)
	}
	script, err := os.ReadFile(filepath.Join(root, ".devcontainer/post-create.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dl.dagger.io/dagger/install.sh", "github.com/rhysd/actionlint/cmd/actionlint@", "go mod download", "dagger --progress=plain functions"} {
		if !strings.Contains(string(script), want) {
			t.Errorf(".devcontainer/post-create.sh does not run %s", want)
		}
	}
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^ACTIONLINT_VERSION \?= v\d+\.\d+\.\d+$`).Match(makefile) {
		t.Error("Makefile: no `ACTIONLINT_VERSION ?= vX.Y.Z` line, which post-create.sh installs")
	}
	for _, secret := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if dc.Secrets[secret].Description == "" {
			t.Errorf("%s: no recommended Codespaces secret %s (the deploy's env:// credentials)", path, secret)
		}
	}
}

// goMajorMinor is the Go version (1.26) of the root go.mod and ci/go.mod,
// which must agree.
func goMajorMinor(t *testing.T, root string) string {
	t.Helper()
	directive := regexp.MustCompile(`(?m)^go (\d+\.\d+)`)
	var v string
	for _, mod := range []string{"go.mod", "ci/go.mod"} {
		data, err := os.ReadFile(filepath.Join(root, mod))
		if err != nil {
			t.Fatal(err)
		}
		m := directive.FindSubmatch(data)
		if m == nil {
			t.Fatalf("%s: no go directive", mod)
		}
		if v != "" && v != string(m[1]) {
			t.Errorf("%s: go %s, but go.mod says go %s", mod, m[1], v)
		}
		v = string(m[1])
	}
	return v
}

// imageTag is the first group of pattern in ci/main.go (a default image).
func imageTag(t *testing.T, root, pattern string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "ci", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(pattern).FindSubmatch(data)
	if m == nil {
		t.Fatalf("ci/main.go: no match for %s", pattern)
	}
	return string(m[1])
}
