package repocheck

import "testing"

// repoRoot is the repository root (the tests run in internal/repocheck).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := Root(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}
