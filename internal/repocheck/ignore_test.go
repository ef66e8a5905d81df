package repocheck

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/great-sun-group/credex-ci/internal/source"
)

// sourceIgnore is the +ignore pragma of the constructor's source argument.
var sourceIgnore = regexp.MustCompile(`(?m)^\s*// \+ignore=(\[.*\])\n(?:\s*//.*\n)*\s*source \*dagger\.Directory,`)

// The constructor's +ignore (what is never uploaded) and its Filter (what
// never reaches a build context, however --source arrived) are one list:
// source.ContextExclusions.
func TestSourceIgnoreIsTheBuildContextsExclusions(t *testing.T) {
	main, err := os.ReadFile(filepath.Join(repoRoot(t), "ci", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	m := sourceIgnore.FindSubmatch(main)
	if m == nil {
		t.Fatal("ci/main.go: no +ignore pragma on New's source argument")
	}
	var ignore []string
	if err := json.Unmarshal(m[1], &ignore); err != nil {
		t.Fatalf("ci/main.go: the source argument's +ignore is not a JSON list: %v", err)
	}
	if !slices.Equal(ignore, source.ContextExclusions) {
		t.Errorf("ci/main.go: New's source +ignore=%q is not source.ContextExclusions %q: keep them one list (write the pragma from the Go value)", ignore, source.ContextExclusions)
	}
}
