package repocheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/great-sun-group/credex-ci/internal/source"
)

// The .env beside dagger.json is Dagger's local defaults of the module: in
// this repository it points --source at the example service, so `dagger
// check` passes at the root with no flags. Any other key would be a default
// argument nobody sees: DEPLOY_ENV=prod would pick production for every
// `dagger call deploy`. So it holds exactly SOURCE, naming a Node service.
func TestDotEnvSetsOnlyTheExampleSource(t *testing.T) {
	root := repoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, ".env"))
	if err != nil {
		t.Fatalf("%v: the .env beside dagger.json sets --source for `dagger check` (docs/operations.md)", err)
	}
	lines, err := source.ReadDotenv(string(data))
	if err != nil {
		t.Fatalf(".env: %v", err)
	}
	var dir string
	for _, l := range lines {
		if l.Name != "SOURCE" {
			t.Errorf(".env:%d: %s is a default argument of every `dagger call` here (Dagger reads .env beside dagger.json: KEY sets a constructor flag, FUNCTION_ARG a function's, e.g. DEPLOY_ENV sets deploy --env): keep only SOURCE, pass the rest as flags", l.Line, l.Name)
			continue
		}
		dir = l.Value
	}
	if dir == "" {
		t.Fatal(".env: no SOURCE=examples/ledger-api line: `dagger check` at the root would lint the root, which is not a Node service")
	}
	if filepath.IsAbs(dir) || strings.Contains(dir, "$") {
		t.Errorf(".env: SOURCE=%s: want a path relative to the repository root, without variables", dir)
	}
	if _, err := os.Stat(filepath.Join(root, dir, "package.json")); err != nil {
		t.Errorf(".env: SOURCE=%s is not a Node service (%v): `dagger check` would fail its lint check", dir, err)
	}
}

// A .env anywhere in the tree is found by Dagger when it runs below it (it
// searches upward from the working directory), and its CREDEX_CI_ keys are
// defaults of this module: none may exist.
func TestNoOtherDotEnvSetsModuleDefaults(t *testing.T) {
	root := repoRoot(t)
	files, err := Files(root, func(rel string) bool { return filepath.Base(rel) == ".env" })
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		lines, err := source.ReadDotenv(string(data))
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		for _, l := range lines {
			if SetsModuleDefault(l.Name) {
				t.Errorf("%s:%d: %s sets a default argument of the credex-ci module for every dagger run below %s: pass it as a flag instead", rel, l.Line, l.Name, filepath.Dir(rel))
			}
		}
	}
}

func TestSetsModuleDefault(t *testing.T) {
	for key, want := range map[string]bool{"CREDEX_CI_SOURCE": true, "credexCi_deploy_env": true, "credex_ci_x": true, "SOURCE": false, "CREDEX_SOURCE": false} {
		if SetsModuleDefault(key) != want {
			t.Errorf("SetsModuleDefault(%s) = %v, want %v", key, !want, want)
		}
	}
}
