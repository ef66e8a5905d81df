package source

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const sha = "0123456789abcdef0123456789abcdef01234567"

func TestValidateRevision(t *testing.T) {
	for _, ok := range []string{sha, strings.Repeat("ab", 32)} {
		if err := ValidateRevision(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"0123456", strings.ToUpper(sha), sha + "0", "main", "g123456789abcdef0123456789abcdef01234567", ""} {
		err := ValidateRevision(bad)
		if !errors.Is(err, ErrInvalidRevision) {
			t.Errorf("%q: err = %v, want ErrInvalidRevision", bad, err)
		}
	}
	mustContain(t, ValidateRevision("main"), `"main"`, "git rev-parse HEAD")
}

func TestParseCreated(t *testing.T) {
	got, err := ParseCreated("2025-03-04T07:08:09+02:00")
	if err != nil {
		t.Fatal(err)
	}
	if s := got.Format("2006-01-02T15:04:05Z07:00"); s != "2025-03-04T05:08:09Z" {
		t.Errorf("got %s, want the time in UTC", s)
	}
	for _, bad := range []string{"2025-03-04", "yesterday", "2025-03-04 05:08:09"} {
		_, err := ParseCreated(bad)
		if !errors.Is(err, ErrInvalidCreated) {
			t.Errorf("%q: err = %v, want ErrInvalidCreated", bad, err)
		}
	}
	_, err = ParseCreated("x")
	mustContain(t, err, "RFC 3339", "date -u +%Y-%m-%dT%H:%M:%SZ")
}

func TestLabelsFromPackageAndBuild(t *testing.T) {
	pkg := &Package{Name: "ledger-api", Version: "1.2.3", Repository: "https://github.com/o/r"}
	m, err := NewMetadata(pkg, sha, "2025-03-04T07:08:09+02:00")
	if err != nil {
		t.Fatal(err)
	}
	want := []Label{
		{LabelCreated, "2025-03-04T05:08:09Z"},
		{LabelRevision, sha},
		{LabelSource, "https://github.com/o/r"},
		{LabelTitle, "ledger-api"},
		{LabelVersion, "1.2.3"},
	}
	if got := m.Labels(); !slices.Equal(got, want) {
		t.Errorf("Labels =\n%v\nwant\n%v", got, want)
	}
}

func TestLabelsOmitWhatIsNotGiven(t *testing.T) {
	m, err := NewMetadata(&Package{Name: "svc"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Labels(), []Label{{LabelTitle, "svc"}}; !slices.Equal(got, want) {
		t.Errorf("Labels = %v, want %v", got, want)
	}
	m, err = NewMetadata(nil, "", "")
	if err != nil || len(m.Labels()) != 0 {
		t.Errorf("no package, no build info: labels %v, err %v", m.Labels(), err)
	}
}

func TestNewMetadataReportsBothBadValues(t *testing.T) {
	_, err := NewMetadata(nil, "HEAD", "now")
	if !errors.Is(err, ErrInvalidRevision) || !errors.Is(err, ErrInvalidCreated) {
		t.Fatalf("err = %v, want both ErrInvalidRevision and ErrInvalidCreated", err)
	}
}

func TestBuildArgsCarryOnlyBuildMetadata(t *testing.T) {
	image := "node:22-bookworm-slim@sha256:" + strings.Repeat("a", 64)
	m, err := NewMetadata(&Package{Name: "svc", Version: "1.0.0"}, sha, "2025-03-04T05:08:09Z")
	if err != nil {
		t.Fatal(err)
	}
	want := []BuildArg{{ArgNodeImage, image}, {ArgRevision, sha}, {ArgBuiltAt, "2025-03-04T05:08:09Z"}}
	if got := m.BuildArgs(image); !slices.Equal(got, want) {
		t.Errorf("BuildArgs = %v, want %v", got, want)
	}
	if got := (Metadata{}).BuildArgs(image); !slices.Equal(got, want[:1]) {
		t.Errorf("without revision and time: %v, want only %v", got, want[:1])
	}
	m, err = NewMetadata(&Package{Scripts: map[string]string{"start": "node build/src/index.js"}}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	want = []BuildArg{{ArgNodeImage, image}, {ArgOutDir, "build"}, {ArgMain, "build/src/index.js"}}
	if got := m.BuildArgs(image); !slices.Equal(got, want) {
		t.Errorf("a service compiled to build/: %v, want %v", got, want)
	}
}

func TestTheReferenceDockerfileDeclaresTheBuildArgs(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{ArgNodeImage, ArgRevision, ArgBuiltAt, ArgOutDir, ArgMain} {
		if !strings.Contains(string(data), "ARG "+arg+"=") {
			t.Errorf("the reference Dockerfile does not declare ARG %s", arg)
		}
	}
	for _, env := range []string{"APP_REVISION=${REVISION}", "APP_BUILT_AT=${BUILT_AT}"} {
		if !strings.Contains(string(data), env) {
			t.Errorf("the reference Dockerfile does not set %s", env)
		}
	}
}

// The module's default Node image and the reference Dockerfile's must be the
// same pinned image, or `docker build` and `dagger call build` would differ.
func TestTheDefaultNodeImageMatchesTheDockerfile(t *testing.T) {
	dockerfile, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	mainGo, err := os.ReadFile(filepath.Join("..", "..", "ci", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	fromDockerfile := regexp.MustCompile(`(?m)^ARG NODE_IMAGE=(\S+)$`).FindSubmatch(dockerfile)
	fromModule := regexp.MustCompile(`defaultNodeImage\s*=\s*"([^"]+)"`).FindSubmatch(mainGo)
	if fromDockerfile == nil || fromModule == nil {
		t.Fatalf("ARG NODE_IMAGE found: %v; defaultNodeImage found: %v", fromDockerfile != nil, fromModule != nil)
	}
	if string(fromDockerfile[1]) != string(fromModule[1]) {
		t.Errorf("Dockerfile NODE_IMAGE %s != ci/main.go defaultNodeImage %s", fromDockerfile[1], fromModule[1])
	}
	if !regexp.MustCompile(`@sha256:[0-9a-f]{64}$`).Match(fromModule[1]) {
		t.Errorf("%s is not pinned by digest", fromModule[1])
	}
}
