// Package repocheck holds the repository's own consistency checks, run by
// `go test` (make test): every pin of the Dagger version in step (README,
// workflows, devcontainer, dagger.json, ci/go.mod, docs), the devcontainer
// valid and pinned, the workflows' actions pinned by commit, the .env
// beside dagger.json setting nothing but the checks' --source, and no raw
// GraphQL query anywhere (the e2e tests drive the pinned CLI; the module
// uses the bindings generated from the v0.21.8 schema), the constructor's
// +ignore equal to the build context's exclusions, and the deploy
// workflow's outputs script reading the summary internal/deploy renders.
//
// The checks read files only; each failure names the file:line to fix.
package repocheck
