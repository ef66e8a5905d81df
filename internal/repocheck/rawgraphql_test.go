package repocheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The repository sends no hand-written GraphQL: the e2e tests drive the
// pinned CLI, which builds its queries from the engine's schema, and the
// module calls the bindings generated from the v0.21.8 schema (make
// test-bindings keeps them in step). A raw query would go unchecked here,
// where no engine runs: the four e2e tests' `$source: DirectoryID!` failed
// only on a real v0.21.8 engine, whose object arguments are `ID!`.
func TestNoRawGraphQLInTheRepository(t *testing.T) {
	root := repoRoot(t)
	files, err := Files(root, HasSuffix(".go", ".graphql", ".gql"))
	if err != nil {
		t.Fatal(err)
	}
	var goFiles int
	for _, rel := range files {
		if !strings.HasSuffix(rel, ".go") {
			t.Errorf("%s:1: a GraphQL document: drive the module through the dagger CLI (ci/e2e) or the generated bindings instead", rel)
			continue
		}
		goFiles++
		src, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		found, err := RawGraphQL(rel, src)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range found {
			t.Errorf("%s: drive the module through the dagger CLI (ci/e2e/dagger_test.go) or the generated bindings instead", f)
		}
	}
	if goFiles < 50 {
		t.Fatalf("read only %d Go files under %s: is this the repository?", goFiles, root)
	}
}

// Each fixture in testdata/rawgraphql/NAME.go.txt is read as NAME.go
// (fixtures are .txt, so the repository scan does not find their queries).
func TestRawGraphQLFindsQueriesAndTheirAPIs(t *testing.T) {
	cases := map[string][]string{ // fixture: substrings of its findings, in order
		"old-e2e-query":           {"old-e2e-query.go:6: a raw GraphQL request (dagger.Request", "old-e2e-query.go:7: a GraphQL document in a string (\"query Test($source: DirectoryID!)"},
		"shorthand-query":         {"shorthand-query.go:3: a GraphQL document in a string"},
		"renamed-import-mutation": {"renamed-import-mutation.go:5: a raw GraphQL request", "renamed-import-mutation.go:7: a GraphQL document"},
		"bindings-raw-client":     {"bindings-raw-client.go:6: the bindings' raw GraphQL client", "bindings-raw-client.go:7: a hand-built query"},
		"genqlient":               {"genqlient.go:3: imports github.com/Khan/genqlient/graphql"},
		"not-graphql":             {},
		"generated-by-dagger":     {},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", "rawgraphql", name+".go.txt"))
			if err != nil {
				t.Fatal(err)
			}
			found, err := RawGraphQL(name+".go", src)
			if err != nil {
				t.Fatal(err)
			}
			if len(found) != len(want) {
				t.Fatalf("found %d, want %d: %v", len(found), len(want), found)
			}
			for i, w := range want {
				if !strings.Contains(found[i].String(), w) {
					t.Errorf("finding %d = %q, want it to hold %q", i, found[i], w)
				}
			}
		})
	}
}
