package source

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestValidateTarget(t *testing.T) {
	for _, target := range Targets {
		if err := ValidateTarget(target); err != nil {
			t.Errorf("%s: %v", target, err)
		}
	}
	err := ValidateTarget("prod")
	if !errors.Is(err, ErrUnknownTarget) {
		t.Fatalf("err = %v, want ErrUnknownTarget", err)
	}
	mustContain(t, err, `unknown build target "prod": --target must be one of development, test, production`)
}

func TestStageNames(t *testing.T) {
	dockerfile := `# syntax comment
ARG NODE_IMAGE=node:22
FROM ${NODE_IMAGE} AS Deps
# FROM scratch AS commented
from --platform=$BUILDPLATFORM \
    ${NODE_IMAGE} \
    as build
RUN echo FROM x AS not-a-stage
FROM build
FROM scratch AS production
`
	df, err := ParseDockerfile("the Dockerfile", true, []byte(dockerfile))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"deps", "build", "production"}
	if got := df.StageNames(); !slices.Equal(got, want) {
		t.Errorf("StageNames = %q, want %q", got, want)
	}
}

func TestTheReferenceDockerfileDefinesEveryTarget(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range Targets {
		if err := CheckStage(data, false, target); err != nil {
			t.Error(err)
		}
	}
}

func TestCheckStageNamesTheFix(t *testing.T) {
	df := []byte("FROM node:22 AS build\nFROM node:22 AS runtime\n")
	err := CheckStage(df, true, "production")
	if !errors.Is(err, ErrNoStage) {
		t.Fatalf("err = %v, want ErrNoStage", err)
	}
	mustContain(t, err, "source's Dockerfile defines stages build, runtime", `not "production"`, "FROM ... AS production", "delete the Dockerfile")

	err = CheckStage([]byte("FROM node:22\n"), false, "test")
	mustContain(t, err, "reference Dockerfile defines no named stages", `not "test"`, "--reference-dockerfile")
}

func TestCheckBuild(t *testing.T) {
	reference := []byte("FROM n AS development\nFROM n AS test\nFROM n AS production\n")

	t.Run("reference Dockerfile", func(t *testing.T) {
		pkg, err := CheckBuild(snapshot(goodPackage), "production", reference)
		if err != nil || pkg.Name != "ledger-api" {
			t.Fatalf("pkg %+v, err %v", pkg, err)
		}
	})
	t.Run("own Dockerfile without the target", func(t *testing.T) {
		s := snapshot(goodPackage, "Dockerfile")
		s.Dockerfile = []byte("FROM n AS production\n")
		_, err := CheckBuild(s, "test", reference)
		if !errors.Is(err, ErrNoStage) {
			t.Fatalf("err = %v, want ErrNoStage", err)
		}
		mustContain(t, err, "source's Dockerfile")
	})
	t.Run("unknown target and bad package together", func(t *testing.T) {
		_, err := CheckBuild(snapshot(`{"scripts": {}}`), "staging", reference)
		if !errors.Is(err, ErrUnknownTarget) || !errors.Is(err, ErrMissingScript) {
			t.Fatalf("err = %v, want ErrUnknownTarget and ErrMissingScript", err)
		}
		mustContain(t, err, `unknown build target "staging"`, `has no "build" script`, `has no "start" script`)
	})
	t.Run("no Dockerfile to check", func(t *testing.T) {
		if _, err := CheckBuild(snapshot(goodPackage), "test", nil); err != nil {
			t.Fatal(err)
		}
	})
}
