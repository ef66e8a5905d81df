package main

import (
	"errors"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// keepMessage makes the error a function returns the one its caller reads.
// Every exported function defers it.
//
// The Go SDK's dispatch (convertError and findSingleGQLError in
// dagger.gen.go, generated from cmd/codegen/generator/go/templates/modules.go
// of Dagger v0.21.8) follows a returned error's Unwrap chain and, when it
// ends at a single Dagger API error (a *gqlerror.Error, also inside
// *dagger.ExecError), returns that inner error's message alone:
// fmt.Errorf("--registry: %w (give it as tcp://localhost:PORT)", err) would
// reach `dagger call` as the engine's bare message, without the flag or the
// fix. keepMessage turns such an error into a GraphQL error of its own whole
// message, with the inner error's extensions (an exec's exit code and
// output, which the CLI prints), so dispatch reports what we wrote. An error
// with no Dagger error inside, or one that adds nothing to it, is left as it
// is.
func keepMessage(err *error) {
	if *err == nil {
		return
	}
	var inner *gqlerror.Error
	if !errors.As(*err, &inner) || *err == error(inner) || (*err).Error() == inner.Message {
		return
	}
	*err = &gqlerror.Error{Message: (*err).Error(), Extensions: inner.Extensions}
}
