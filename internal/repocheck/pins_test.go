package repocheck

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// pinnedFiles must each state the Dagger version at least once: the places
// a person or a machine installs or selects it. Removing a pin from one of
// them is as wrong as changing it.
var pinnedFiles = []string{
	"dagger.json",
	"README.md",
	"DEVELOPERS.md",
	".github/workflows/ci.yml",
	".github/workflows/deploy-environment.yml",
	".github/workflows/rollback.yml",
	".devcontainer/post-create.sh",
	"ci/e2e/dagger_test.go",
	"docs/operations.md",
}

// The ONE test that keeps every pin of the Dagger version in step. The
// version is dagger.json's engineVersion; every other statement of it in
// the repository (README, DEVELOPERS.md, docs, workflows, devcontainer,
// ci/go.mod's dagger.io/dagger, the e2e harness) must name the same, and
// each failure names the file:line that differs. Dagger 1.0 renames
// `dagger call`: a laptop, a Codespace and CI on different versions would
// not run the same pipeline.
func TestDaggerVersionPinsAreInStep(t *testing.T) {
	root := repoRoot(t)
	var cfg struct {
		EngineVersion string `json:"engineVersion"`
	}
	data, err := os.ReadFile(filepath.Join(root, "dagger.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("dagger.json: %v", err)
	}
	want := strings.TrimPrefix(cfg.EngineVersion, "v")
	if want == "" {
		t.Fatal("dagger.json has no engineVersion: it is the Dagger version every other pin follows")
	}

	files, err := Files(root, func(rel string) bool {
		switch {
		case strings.HasPrefix(rel, "ci/internal/dagger/"), rel == "ci/dagger.gen.go":
			return false // generated from the schema; the bindings check covers them
		case strings.HasSuffix(rel, "go.sum"), strings.HasSuffix(rel, "package-lock.json"):
			return false
		}
		return HasSuffix(".md", ".go", ".mod", ".json", ".yml", ".yaml", ".sh", ".tf", ".hcl", "Makefile", "Dockerfile", ".env")(rel) ||
			strings.HasPrefix(rel, ".ci/")
	})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]int{}
	for _, rel := range files {
		text, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range DaggerPins(rel, string(text)) {
			found[rel]++
			if p.Version != want {
				t.Errorf("%s: Dagger %s, but dagger.json's engineVersion is v%s (keep every pin in step): %s", p.Pos, p.Version, want, p.Text)
			}
		}
	}
	for _, rel := range pinnedFiles {
		if found[rel] == 0 {
			t.Errorf("%s: no Dagger version found: it must pin v%s (e.g. DAGGER_VERSION=%s, or `version: \"%s\"` for dagger/dagger-for-github)", rel, want, want, want)
		}
	}
}

func TestDaggerPinsFindsEveryForm(t *testing.T) {
	// testdata/pins.txt, one form a line: a pin (lines 1-6, 11, 15, 16),
	// or a line that looks like one and is not (7: an address, 8: no
	// x.y.z, 9: the action's own version, 14: another action's input).
	data, err := os.ReadFile(filepath.Join("testdata", "pins.txt"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	got := map[string]string{}
	for _, p := range DaggerPins("f", text) {
		got[p.Pos] += p.Version + " "
	}
	want := map[string]string{"f:1": "0.21.8 ", "f:2": "0.21.9 ", "f:3": "0.21.7 ", "f:4": "0.21.8 ", "f:5": "0.21.6 ",
		"f:6": "0.20.0 ", "f:11": "0.21.5 ", "f:15": "0.21.4 0.21.8 ", "f:16": "0.21.3 "}
	for pos, v := range want {
		if strings.Fields(got[pos]) == nil || !sameWords(got[pos], v) {
			t.Errorf("%s: found %q, want %q", pos, got[pos], v)
		}
	}
	for pos, v := range got {
		if _, ok := want[pos]; !ok {
			t.Errorf("%s: found %q where there is no Dagger pin", pos, v)
		}
	}
}

func sameWords(a, b string) bool {
	wa, wb := strings.Fields(a), strings.Fields(b)
	slices.Sort(wa)
	slices.Sort(wb)
	return slices.Equal(wa, wb)
}
