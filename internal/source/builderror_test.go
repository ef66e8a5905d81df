package source

import (
	"encoding/base64"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

// containerID is an engine object ID as Dagger v0.21 prints it in errors
// (dagql ID.String(): "Container@" and the base64 of the encoded call
// chain; a Dockerfile build's is about 10 KB).
func containerID(size int) string {
	b := make([]byte, size*3/4)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return "Container@" + base64.StdEncoding.EncodeToString(b)
}

// engineLoadError builds a failed Dockerfile build's error as Dagger v0.21.8
// words it: core/container.go wraps the load of the container converted
// from the Dockerfile's LLB ("failed to load container from converted ID"),
// dagql's ID.Load prefixes the ID ("load Container@..."), and the recipe
// loader nests "load <digest>: inputs: " once per input it loads before
// the failing call's own error.
func engineLoadError(cause string, depth int) string {
	var b strings.Builder
	b.WriteString("failed to load container from converted ID: load ")
	b.WriteString(containerID(10 * 1024))
	b.WriteString(": ")
	digests := []string{"9f2c4e1a7b3d5c60", "2b7e151628aed2a6", "abf7158809cf4f3c", "0d1e2f3a4b5c6d7e", "77aa88bb99cc00dd"}
	for i := 0; i < depth; i++ {
		b.WriteString("load xxh3:" + digests[i%len(digests)] + ": inputs: ")
	}
	b.WriteString("load xxh3:5e8a3c1f0b9d7264: ")
	b.WriteString(cause)
	return b.String()
}

func brokenFixture(t *testing.T) *Dockerfile {
	return parse(t, true, readFile(t, filepath.Join("testdata", "credex-core-broken.Dockerfile")))
}

func firstLines(s string, n int) string {
	return strings.Join(strings.SplitN(s, "\n", n+1)[:n], "\n")
}

// The failure that made this necessary: a production stage copying a file
// its build stage never creates. The engine's 11 KB line becomes three
// lines a person reads: where, why, what to do.
func TestExplainACopyOfAFileThatDoesNotExist(t *testing.T) {
	msg := engineLoadError("failed to content hash dockerfile copy: failed to copy source directory: lstat /app/config/config.js: no such file or directory", 3)
	if len(msg) < 10000 {
		t.Fatalf("constructed engine error is %d bytes, want the real ~11 KB", len(msg))
	}
	err := ExplainBuildError(brokenFixture(t), TargetProduction, EngineError{Message: msg})
	text := err.Error()
	head := firstLines(text, 3)
	want := "build failed: the source's Dockerfile, stage production, line 27: COPY --from=production-build /app/config/config.js ./config/config.js\n" +
		"cause: /app/config/config.js does not exist in stage production-build (line 17)\n" +
		"fix: copy a path stage production-build creates (check where its build writes, e.g. build/ or dist/), or create /app/config/config.js there"
	if head != want {
		t.Errorf("first three lines:\n%s\nwant:\n%s", head, want)
	}
	if engineIDs.MatchString(head) || strings.Contains(head, "xxh3") {
		t.Errorf("engine IDs in the readable part:\n%s", head)
	}
	if !strings.HasSuffix(text, msg) || !strings.Contains(text, "engine error (building target production):\n") {
		t.Errorf("the engine's error is not kept whole at the end")
	}
	if err.Stage != "production" || err.Instruction.Line != 27 {
		t.Errorf("stage %q line %d", err.Stage, err.Instruction.Line)
	}
}

func TestExplainAFailedRun(t *testing.T) {
	stderr := "npm error code 2\n" + strings.Repeat("noise\n", 40) + "src/core/credex.ts(3,1): error TS2304: Cannot find name 'x'."
	err := ExplainBuildError(brokenFixture(t), TargetProduction, EngineError{
		Message:  engineLoadError("exit code: 2", 2),
		Cmd:      []string{"/bin/sh", "-c", "npm run build"},
		ExitCode: 2,
		Stdout:   "> credex-core-fixture@0.3.0 build\n> tsc -p tsconfig.json",
		Stderr:   stderr,
	})
	text := err.Error()
	want := "build failed: the source's Dockerfile, stage production-build, line 19: RUN npm run build\n" +
		"cause: `npm run build` failed with exit code 2\n" +
		"fix: run `npm run build` in the source directory to see the same failure, fix it and build again"
	if head := firstLines(text, 3); head != want {
		t.Errorf("first three lines:\n%s\nwant:\n%s", head, want)
	}
	if !strings.Contains(text, "error TS2304: Cannot find name 'x'.") || !strings.Contains(text, "lines before)") {
		t.Errorf("the output's tail is missing or not cut:\n%s", text)
	}
	if strings.Contains(firstLines(text, 3), "Container@") {
		t.Error("engine ID in the readable part")
	}
}

// Two stages run the same command: the one the target needs is named.
func TestExplainARunSharedByStages(t *testing.T) {
	df := parse(t, true, []byte(`FROM node:22 AS deps
RUN npm ci
FROM node:22 AS tools
RUN npm ci
FROM deps AS production
RUN npm prune
`))
	err := ExplainBuildError(df, TargetProduction, EngineError{Message: "exit code: 1", Cmd: []string{"/bin/sh", "-c", "npm  ci"}, ExitCode: 1})
	if err.Stage != "deps" || err.Instruction.Line != 2 {
		t.Errorf("stage %q line %d, want deps line 2", err.Stage, err.Instruction.Line)
	}
	err = ExplainBuildError(df, TargetProduction, EngineError{Message: "exit code: 1", Cmd: []string{"npm", "prune"}, ExitCode: 1})
	if err.Stage != "" {
		t.Errorf("exec-form command matched a shell-form RUN: %q", err.Stage)
	}
}

func TestExplainACopyFromTheBuildContext(t *testing.T) {
	df := parse(t, false, []byte("FROM node:22 AS production\nWORKDIR /app\nCOPY dist ./dist\n"))
	err := ExplainBuildError(df, TargetProduction, EngineError{
		Message: engineLoadError("failed to content hash dockerfile copy: failed to copy source directory: lstat /dist: no such file or directory", 1),
	})
	mustContain(t, err, "build failed: credex-ci's reference Dockerfile, stage production, line 3: COPY dist ./dist\ncause: /dist is not in the build context (--source)", "fix: check the path; note that credex-ci leaves node_modules, dist, dist-test, coverage, .terraform, .env, .env.* (anywhere) and .git, build (at the root) out of the build context")
}

func TestExplainAFailedPull(t *testing.T) {
	msg := "failed to convert Dockerfile to LLB: failed to resolve source metadata for docker.io/library/node:20.18.1-alpine: failed to do request: dial tcp: lookup registry-1.docker.io: no such host"
	err := ExplainBuildError(brokenFixture(t), TargetProduction, EngineError{Message: msg})
	want := "build failed: the source's Dockerfile, stage base, line 7: FROM node:${NODE_VERSION}-alpine AS base\n" +
		"cause: failed to resolve source metadata for docker.io/library/node:20.18.1-alpine: failed to do request: dial tcp: lookup registry-1.docker.io: no such host"
	if head := firstLines(err.Error(), 2); head != want {
		t.Errorf("got:\n%s\nwant:\n%s", head, want)
	}
}

// An error the explanation cannot trace still loses the engine's IDs in its
// first lines and keeps them below.
func TestExplainSomethingElse(t *testing.T) {
	msg := engineLoadError("failed to mount parent directory: input/output error", 4)
	err := ExplainBuildError(brokenFixture(t), TargetTest, EngineError{Message: msg})
	head := firstLines(err.Error(), 2)
	if head != "build failed: the source's Dockerfile, target test\ncause: failed to mount parent directory: input/output error" {
		t.Errorf("got:\n%s", head)
	}
	if !strings.HasSuffix(err.Error(), msg) {
		t.Error("engine error not kept")
	}
}

func TestEngineCauseDropsWrappersAndIDs(t *testing.T) {
	for in, want := range map[string]string{
		engineLoadError("lstat /x: no such file or directory", 0):                    "lstat /x: no such file or directory",
		"load Container@QUJDREVGR0hJSktMTU5PUFFSU1RVVldY: receiver: bad thing":       "bad thing",
		"failed to solve: something with Directory@QUJDREVGR0hJSktMTU5PUFFSU1RVVldY": "something with <id>",
		"plain": "plain",
	} {
		if got := EngineCause(in); got != want {
			t.Errorf("EngineCause(%.60q) = %q, want %q", in, got, want)
		}
	}
}

// The reference Dockerfile copies ${OUT_DIR}: a missing output directory is
// traced to that COPY through the argument's default.
func TestExplainACopyThroughABuildArgument(t *testing.T) {
	df := parse(t, false, readFile(t, filepath.Join("..", "..", "Dockerfile")))
	err := ExplainBuildError(df, TargetProduction, EngineError{
		Message: engineLoadError("failed to content hash dockerfile copy: failed to copy source directory: lstat /app/dist: no such file or directory", 2),
	})
	mustContain(t, err, "stage production, line ", "COPY --from=build /app/${OUT_DIR} ./${OUT_DIR}\ncause: /app/dist does not exist in stage build")
}
