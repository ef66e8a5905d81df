// Package source checks an application source before any container work:
// that it is a Node service in credex-core's layout (package.json with the
// scripts the pipeline runs, a committed package-lock.json), that the
// requested build target is known and that the Dockerfile defines it. It also
// derives the image's OCI labels and build arguments from the source and the
// build's revision and creation time.
//
// The Dockerfile is read with BuildKit's own parser
// (github.com/moby/buildkit/frontend/dockerfile/parser, v0.27.1: it brings
// in only that module's parser, command, shell and util/stack packages, plus
// pkg/errors, containerd/typeurl and protobuf), so continuation lines,
// heredocs, the escape directive and both RUN forms read exactly as `docker
// build` reads them. On that parse rest:
//   - the Dockerfile check (LintDockerfile): what credex-ci would fix, each
//     finding with its line, its fix and a severity (Error fails `lint`,
//     ProtectedError stops production deploys, Warning informs);
//   - CheckPort: the image's EXPOSE against the stack's container_port;
//   - ExplainBuildError: a failed Docker build traced from the engine's
//     error back to the stage and instruction that failed.
//
// A test run's configuration (ParseTestEnv, ParseDotenv, CheckTestConfig)
// is checked here too, before any container runs; ReadDotenv, the dotenv
// reader under ParseDotenv, also reads the repository's own .env
// (internal/repocheck).
//
// Its input is a Snapshot, which the Dagger module fills cheaply from a
// directory (entry names plus the bytes of package.json and the Dockerfile),
// so every rule lives here, in plain unit-tested Go. Every error names the
// fix.
package source
