package tfrun

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAtLeast(t *testing.T) {
	for v, want := range map[string]bool{"1.11.0": true, "1.11.4": true, "v1.12.0": true, "2.0.0": true, "1.12.0-beta1": true,
		"1.10.5": false, "1.9.8": false, "0.15.0": false} {
		if got := AtLeast(v, MinVersion); got != want {
			t.Errorf("AtLeast(%q, %s) = %v", v, MinVersion, got)
		}
	}
}

func TestLockedProvidersOfTheStack(t *testing.T) {
	ps, err := LockedProviders("../../terraform/.terraform.lock.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Source != "registry.terraform.io/hashicorp/aws" || ps[0].Version == "" {
		t.Errorf("providers: %+v", ps)
	}
}

// fakeTerraform puts a terraform on PATH that reports version.
func fakeTerraform(t *testing.T, version string) {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\necho '{\"terraform_version\":\"" + version + "\"}'\n"
	if err := os.WriteFile(filepath.Join(dir, "terraform"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
}

// mirror lays out a provider mirror holding p for this platform.
func mirror(t *testing.T, p Provider, platform string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(p.Source), p.Version, platform), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestFindNamesWhatToInstall(t *testing.T) {
	aws := Provider{Source: "registry.terraform.io/hashicorp/aws", Version: "5.100.0"}
	t.Run("no terraform", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		if _, err := Find(t.TempDir(), aws); err == nil || !strings.Contains(err.Error(), "install Terraform 1.11.0 or newer") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("old terraform", func(t *testing.T) {
		fakeTerraform(t, "1.10.5")
		if _, err := Find(t.TempDir(), aws); err == nil || !strings.Contains(err.Error(), "is Terraform 1.10.5; the stack needs 1.11.0 or newer") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("no mirror", func(t *testing.T) {
		fakeTerraform(t, "1.11.4")
		t.Setenv(MirrorEnv, t.TempDir())
		_, err := Find(t.TempDir(), aws)
		if err == nil || !strings.Contains(err.Error(), "has no registry.terraform.io/hashicorp/aws 5.100.0") || !strings.Contains(err.Error(), "terraform providers mirror") || !strings.Contains(err.Error(), MirrorEnv) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("found", func(t *testing.T) {
		fakeTerraform(t, "1.11.4")
		t.Setenv(MirrorEnv, mirror(t, aws, platform()))
		dir := t.TempDir()
		tf, err := Find(dir, aws)
		if err != nil {
			t.Fatal(err)
		}
		config, _ := os.ReadFile(tf.CLIConfig)
		if tf.Version != "1.11.4" || !strings.Contains(string(config), "filesystem_mirror") || !strings.Contains(string(config), tf.Mirror) {
			t.Errorf("%+v\n%s", tf, config)
		}
	})
}

func TestRunCleansTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\nenv\n"
	if err := os.WriteFile(filepath.Join(dir, "terraform"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", "from-the-developer")
	t.Setenv("TF_LOG", "TRACE")
	tf := &Terraform{Path: filepath.Join(dir, "terraform"), CLIConfig: "/x/terraform.tfrc"}
	r, err := tf.Run(t.Context(), dir, []string{"AWS_REGION=af-south-1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"TF_CLI_CONFIG_FILE=/x/terraform.tfrc", "TF_IN_AUTOMATION=1", "AWS_REGION=af-south-1"} {
		if !strings.Contains(r.Stdout, want+"\n") {
			t.Errorf("environment lacks %s", want)
		}
	}
	for _, leaked := range []string{"from-the-developer", "TF_LOG"} {
		if strings.Contains(r.Stdout, leaked) {
			t.Errorf("the caller's %s reached terraform", leaked)
		}
	}
}

func TestCopyStackLeavesRunArtifactsOut(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "copy")
	for name, text := range map[string]string{
		"main.tf": "x", "modules/m/main.tf": "y", ".terraform.lock.hcl": "lock",
		".terraform/providers/p": "binary", "terraform.tfstate": "state", "a.tfplan": "plan", "backend_override.tf": "o",
	} {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := CopyStack(src, dst); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"main.tf": true, "modules/m/main.tf": true, ".terraform.lock.hcl": true,
		".terraform": false, "terraform.tfstate": false, "a.tfplan": false, "backend_override.tf": false} {
		if _, err := os.Stat(filepath.Join(dst, filepath.FromSlash(name))); (err == nil) != want {
			t.Errorf("%s copied: %v, want %v", name, err == nil, want)
		}
	}
}
