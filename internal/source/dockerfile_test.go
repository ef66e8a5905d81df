package source

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fixture is the credex-core-shaped service under testdata.
var fixture = filepath.Join("testdata", "credex-core")

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func parse(t *testing.T, own bool, data []byte) *Dockerfile {
	t.Helper()
	df, err := ParseDockerfile(dockerfileName(own), own, data)
	if err != nil {
		t.Fatal(err)
	}
	return df
}

func TestParseTheFixtureDockerfile(t *testing.T) {
	df := parse(t, true, readFile(t, filepath.Join(fixture, "Dockerfile")))
	if got, want := df.StageNames(), []string{"base", "development", "production-build", "production", "test"}; !slices.Equal(got, want) {
		t.Errorf("stages %q, want %q", got, want)
	}
	prod, ok := df.Stage("PRODUCTION")
	if !ok {
		t.Fatal("no production stage")
	}
	if prod.From.Line != 21 || df.Expand(prod.Base()) != "node:20.18.1-alpine" {
		t.Errorf("production FROM at line %d, base %q", prod.From.Line, df.Expand(prod.Base()))
	}
	if _, isStage := df.Parent(prod); isStage {
		t.Error("production is built FROM an image, not a stage")
	}
	test, _ := df.Stage("test")
	if chain := df.Chain(test); len(chain) != 2 || chain[1].Name != "base" {
		t.Errorf("test's chain = %v, want test, base", chain)
	}
	var needed []string
	for _, s := range df.Needed("production") {
		needed = append(needed, s.Name)
	}
	if want := []string{"base", "production-build", "production"}; !slices.Equal(needed, want) {
		t.Errorf("a production build needs %q, want %q", needed, want)
	}
	ports, _ := df.ExposedPorts(prod)
	if !slices.Equal(ports, []int{3000}) {
		t.Errorf("production exposes %v, want [3000]", ports)
	}
}

func TestParseFollowsContinuationsFlagsAndForms(t *testing.T) {
	df := parse(t, true, []byte(`# escape=`+"`"+`
ARG BASE=node:22
FROM --platform=$BUILDPLATFORM ${BASE} AS Build
RUN --mount=type=cache,target=/root/.npm `+"`"+`
    npm ci `+"`"+`
    --omit=dev
CMD ["node", "dist/server.js"]
`))
	s := df.Stages[0]
	if s.Name != "build" || df.Expand(s.Base()) != "node:22" {
		t.Errorf("stage %q base %q", s.Name, df.Expand(s.Base()))
	}
	if p, _ := s.From.Flag("platform"); p != "$BUILDPLATFORM" {
		t.Errorf("platform flag %q", p)
	}
	run := s.Instructions[0]
	if run.Line != 4 || run.EndLine != 6 || !mountsNpmCache(run) || !sameCommand(run.Arg(0), "npm ci --omit=dev") {
		t.Errorf("RUN = %+v", run)
	}
	if cmd := s.Instructions[1]; !cmd.JSON || !slices.Equal(cmd.Args, []string{"node", "dist/server.js"}) {
		t.Errorf("CMD = %+v", cmd)
	}
}

func TestParseRefusesWhatDockerRefuses(t *testing.T) {
	for name, text := range map[string]string{
		"no FROM":            "ARG X=1\n",
		"unterminated quote": "FROM node:22\nCMD [\"node\n",
	} {
		_, err := ParseDockerfile("the source's Dockerfile", true, []byte(text))
		if name == "unterminated quote" && err == nil {
			continue // BuildKit reads a broken JSON CMD as the shell form
		}
		if !errors.Is(err, ErrInvalidDockerfile) {
			t.Errorf("%s: err = %v, want ErrInvalidDockerfile", name, err)
		}
	}
	err := CheckStage([]byte("ARG X=1\n"), true, "production")
	mustContain(t, err, "the source's Dockerfile has no FROM instruction")
}
