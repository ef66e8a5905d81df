package source

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const goodPackage = `{
  "name": "ledger-api",
  "version": "1.2.3",
  "repository": {"type": "git", "url": "git+https://github.com/great-sun-group/credex-ci.git"},
  "scripts": {"build": "tsc", "test": "node --test", "start": "node dist/server.js", "lint": "tsc --noEmit"}
}`

func snapshot(pkg string, entries ...string) Snapshot {
	s := Snapshot{Name: "--source=examples/app", Entries: append([]string{"src/", "package-lock.json"}, entries...)}
	if pkg != "" {
		s.PackageJSON = []byte(pkg)
		s.Entries = append(s.Entries, "package.json")
	}
	return s
}

func mustContain(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\ndoes not contain %q", err, w)
		}
	}
}

func TestValidateAcceptsAGoodService(t *testing.T) {
	pkg, err := Validate(snapshot(goodPackage))
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Name != "ledger-api" || pkg.Version != "1.2.3" || pkg.Repository != "https://github.com/great-sun-group/credex-ci" {
		t.Errorf("package = %+v", pkg)
	}
	if !pkg.HasScript("lint") || pkg.HasScript("test:integration") {
		t.Errorf("HasScript: lint %v, test:integration %v", pkg.HasScript("lint"), pkg.HasScript("test:integration"))
	}
}

func TestValidateTheExampleService(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "ledger-api")
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := Snapshot{Name: dir, PackageJSON: data}
	for _, e := range entries {
		s.Entries = append(s.Entries, e.Name())
	}
	pkg, err := Validate(s)
	if err != nil {
		t.Fatal(err)
	}
	if !pkg.HasScript("test:integration") || !pkg.HasScript("lint") {
		t.Errorf("the example must define test:integration and lint: %v", pkg.Scripts)
	}
}

func TestValidateNoPackageJSON(t *testing.T) {
	_, err := Validate(snapshot("", "go.mod"))
	if !errors.Is(err, ErrNoPackageJSON) {
		t.Fatalf("err = %v, want ErrNoPackageJSON", err)
	}
	mustContain(t, err, "no package.json in --source=examples/app: pass the directory of a Node service", "--source=examples/ledger-api")
}

func TestValidateInvalidJSON(t *testing.T) {
	_, err := Validate(snapshot("{\n  \"name\": \"x\",\n  \"scripts\": {,}\n}"))
	if !errors.Is(err, ErrInvalidPackageJSON) {
		t.Fatalf("err = %v, want ErrInvalidPackageJSON", err)
	}
	mustContain(t, err, "package.json in --source=examples/app is not valid JSON", "(line 3, column 15)")
}

// Wrong types are named in JSON's words, where they are, not as Go types.
func TestValidateWrongTypes(t *testing.T) {
	for _, c := range []struct{ name, pkg, want string }{
		{"not an object", `["x"]`, "is a JSON array, not an object"},
		{"scripts not an object", `{"scripts": ["build"]}`, `has a JSON array as "scripts", which must be an object of "name": "command" pairs (line 1, column 13)`},
		{"script not a string", `{"scripts": {"build": 1}}`, `has a JSON number as a script in "scripts": every script must be a command string (line 1, column 23)`},
		{"name not a string", `{"name": 5}`, `has a JSON number as "name", which must be a string (line 1, column 10)`},
		{"repository a number", `{"repository": 7, "scripts": {}}`, `"repository" must be a URL or {"type": "git", "url": "..."}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Validate(snapshot(c.pkg))
			if !errors.Is(err, ErrInvalidPackageJSON) {
				t.Fatalf("err = %v, want ErrInvalidPackageJSON", err)
			}
			mustContain(t, err, "package.json in --source=examples/app", c.want)
			if strings.Contains(err.Error(), "map[") || strings.Contains(err.Error(), "not valid JSON") {
				t.Errorf("error speaks Go, or calls valid JSON invalid: %v", err)
			}
		})
	}
}

func TestValidateReportsEveryMissingScriptAndTheLockfile(t *testing.T) {
	s := snapshot(`{"name": "x", "scripts": {"start": "node dist/server.js", "test": "  "}}`)
	s.Entries = slices.DeleteFunc(s.Entries, func(e string) bool { return e == "package-lock.json" })
	_, err := Validate(s)
	if !errors.Is(err, ErrMissingScript) || !errors.Is(err, ErrNoLockfile) {
		t.Fatalf("err = %v, want ErrMissingScript and ErrNoLockfile", err)
	}
	mustContain(t, err,
		`package.json in --source=examples/app has no "build" script: add one to compile the service (into dist/, build/ or another output directory), e.g. "build": "tsc"`,
		`no "test" script: add one to run the unit tests`,
		"no package-lock.json in --source=examples/app", "run npm install and commit package-lock.json")
	if strings.Contains(err.Error(), `"start"`) {
		t.Errorf("start is defined, yet reported: %v", err)
	}
}

func TestRepositoryURLForms(t *testing.T) {
	for in, want := range map[string]string{
		`"git+https://github.com/o/r.git"`:          "https://github.com/o/r",
		`"https://gitlab.com/o/r"`:                  "https://gitlab.com/o/r",
		`"git://github.com/o/r.git"`:                "https://github.com/o/r",
		`"git@github.com:o/r.git"`:                  "https://github.com/o/r",
		`"ssh://git@github.com/o/r.git"`:            "https://github.com/o/r",
		`"github:o/r"`:                              "https://github.com/o/r",
		`"o/r"`:                                     "https://github.com/o/r",
		`{"type": "git", "url": "https://x.org/r"}`: "https://x.org/r",
		`null`: "",
		`{"type": "git", "directory": "packages/a"}`: "",
	} {
		pkg, err := ParsePackage("p", []byte(`{"repository": `+in+`}`))
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if pkg.Repository != want {
			t.Errorf("%s: got %q, want %q", in, pkg.Repository, want)
		}
	}
}

func TestEntrypointFromTheStartScriptOrMain(t *testing.T) {
	for _, c := range []struct {
		start, main, wantMain, wantDir string
	}{
		{"node dist/server.js", "", "dist/server.js", "dist"},
		{"node --enable-source-maps ./build/src/index.js", "x.js", "build/src/index.js", "build"},
		{"ts-node src/index.ts", "build/src/index.js", "build/src/index.js", "build"},
	} {
		pkg := &Package{Scripts: map[string]string{"start": c.start}, Main: c.main}
		main, dir, err := pkg.Entrypoint()
		if err != nil || main != c.wantMain || dir != c.wantDir {
			t.Errorf("start %q main %q: got %q in %q (%v), want %q in %q", c.start, c.main, main, dir, err, c.wantMain, c.wantDir)
		}
	}
	_, _, err := (&Package{Scripts: map[string]string{"start": "ts-node src/index.ts"}}).Entrypoint()
	if !errors.Is(err, ErrNoEntrypoint) {
		t.Fatalf("err = %v", err)
	}
	mustContain(t, err, `"start" script is not "node <file>" and it has no "main"`, `"start": "node dist/server.js"`)
	_, _, err = (&Package{Scripts: map[string]string{"start": "node server.js"}}).Entrypoint()
	mustContain(t, err, "the entry point server.js is not inside an output directory")
}

// A service without a Dockerfile builds with the reference one, which needs
// to know what to run; one with its own Dockerfile does not.
func TestCheckBuildNeedsAnEntrypointOnlyForTheReferenceDockerfile(t *testing.T) {
	reference := []byte("FROM n AS development\nFROM n AS test\nFROM n AS production\n")
	pkg := `{"name": "x", "scripts": {"build": "tsc", "test": "jest", "start": "ts-node src/index.ts"}}`
	_, err := CheckBuild(snapshot(pkg), TargetProduction, reference)
	if !errors.Is(err, ErrNoEntrypoint) {
		t.Errorf("reference Dockerfile: err = %v, want ErrNoEntrypoint", err)
	}
	if _, err := CheckBuild(snapshot(pkg), TargetTest, reference); err != nil {
		t.Errorf("test target: %v", err)
	}
	own := snapshot(pkg, "Dockerfile")
	own.Dockerfile = reference
	if _, err := CheckBuild(own, TargetProduction, reference); err != nil {
		t.Errorf("own Dockerfile: %v", err)
	}
}
