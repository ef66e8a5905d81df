package main

// Run with a (never used) Dagger session in the environment, which the
// generated client needs at init: make test-module does
//
//	DAGGER_SESSION_PORT=1 DAGGER_SESSION_TOKEN=unused go test .

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// sdkError is how the generated client hands a function a Dagger API error
// (getCustomError in internal/dagger: gqlExtendedError, also inside
// *dagger.ExecError): the GraphQL error's message, unwrapping to it.
type sdkError struct{ inner *gqlerror.Error }

func (e sdkError) Error() string { return e.inner.Message }
func (e sdkError) Unwrap() error { return e.inner }

// reported is the message the generated dispatch hands the engine for a
// function's error (convertError in dagger.gen.go): the single Dagger API
// error inside it, or else the error's own message.
func reported(err error) string {
	if gqlErr := findSingleGQLError(err); gqlErr != nil {
		return gqlErr.Message
	}
	return err.Error()
}

func TestKeepMessageReportsTheWholeError(t *testing.T) {
	engine := &gqlerror.Error{
		Message:    "health check errored: dial tcp 10.87.0.9:5050: connect: connection refused",
		Extensions: map[string]any{"_type": "EXEC_ERROR", "exitCode": 3},
	}
	err := fmt.Errorf("--registry: %w (give it as tcp://localhost:PORT)", sdkError{engine})
	want := err.Error()
	if got := reported(err); got != engine.Message {
		t.Fatalf("without keepMessage dispatch reports %q; this test assumes it reports only the engine's %q", got, engine.Message)
	}

	keepMessage(&err)
	if got := reported(err); got != want {
		t.Errorf("dispatch reports %q, want the whole error %q", got, want)
	}
	if ext := findSingleGQLError(err).Extensions; ext["_type"] != "EXEC_ERROR" || ext["exitCode"] != 3 {
		t.Errorf("the engine error's extensions were dropped: %v", ext)
	}
}

func TestKeepMessageLeavesOtherErrorsAlone(t *testing.T) {
	var none error
	keepMessage(&none)
	if none != nil {
		t.Errorf("nil became %v", none)
	}

	plain := errors.New("up runs only --env=local")
	err := plain
	keepMessage(&err)
	if err != plain {
		t.Errorf("an error with no Dagger error inside was replaced: %v", err)
	}

	bare := error(sdkError{&gqlerror.Error{Message: "process \"npm run test\" did not complete successfully: exit code: 1"}})
	err = bare
	keepMessage(&err)
	if err != bare {
		t.Errorf("a Dagger error returned as it is was replaced: %v", err)
	}

	joined := errors.Join(errors.New("--test-env: FOO: not NAME=value"), sdkError{&gqlerror.Error{Message: "reading --test-secrets: not found"}})
	err = joined
	keepMessage(&err)
	if got := reported(err); got != joined.Error() {
		t.Errorf("dispatch reports %q, want %q", got, joined.Error())
	}
}

// Every function of the module that can fail defers keepMessage, so none
// loses its message at the boundary.
func TestEveryFunctionKeepsItsMessage(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if name == "dagger.gen.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || !fn.Name.IsExported() || !returnsError(fn) {
				continue
			}
			if star, ok := fn.Recv.List[0].Type.(*ast.StarExpr); !ok || star.X.(*ast.Ident).Name != "CredexCi" {
				continue
			}
			checked++
			if !defersKeepMessage(fn) {
				t.Errorf("%s: %s does not begin with `defer keepMessage(&err)` (name its error result err)", fset.Position(fn.Pos()), fn.Name.Name)
			}
		}
	}
	if checked == 0 {
		t.Fatal("found no function of the module")
	}
}

func returnsError(fn *ast.FuncDecl) bool {
	if fn.Type.Results == nil {
		return false
	}
	last := fn.Type.Results.List[len(fn.Type.Results.List)-1]
	id, ok := last.Type.(*ast.Ident)
	return ok && id.Name == "error"
}

func defersKeepMessage(fn *ast.FuncDecl) bool {
	if len(fn.Body.List) == 0 {
		return false
	}
	d, ok := fn.Body.List[0].(*ast.DeferStmt)
	if !ok {
		return false
	}
	callee, ok := d.Call.Fun.(*ast.Ident)
	if !ok || callee.Name != "keepMessage" || len(d.Call.Args) != 1 {
		return false
	}
	ref, ok := d.Call.Args[0].(*ast.UnaryExpr)
	return ok && ref.Op == token.AND && ref.X.(*ast.Ident).Name == "err"
}
