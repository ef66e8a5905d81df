package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/great-sun-group/credex-ci/ci/internal/dagger"
	"github.com/great-sun-group/credex-ci/internal/source"
)

// Test runs the service's tests (an npm script, `npm run test` unless
// --script names another) in its Dockerfile's test stage, with the
// configuration the suite needs, and returns their output; when a test
// fails, the error carries the failing tests' output. Secrets' values are
// replaced by *** in what it returns.
func (m *CredexCi) Test(
	ctx context.Context,
	// The npm script that runs the suite, e.g. test:unit to run only the
	// unit tests.
	// +default="test"
	script string,
	// A plain (non-secret) environment variable for the suite, NAME=value;
	// repeat the flag for each, e.g.
	// --test-env=NEO_4J_LEDGER_SPACE_BOLT_URL=bolt://ledger:7687
	// --test-env=NEO_4J_LEDGER_SPACE_USER=neo4j (the CLI splits a value on
	// commas: quote one that holds a comma, --test-env='"LIST=a,b"'). Names
	// that look like secrets (…SECRET, …PASS, …TOKEN, …KEY) are refused:
	// put those in --test-secrets.
	// +optional
	testEnv []string,
	// The suite's secrets, as a dotenv file (NAME=value lines, # comments)
	// read as a Dagger secret, e.g. file://./test.env or env://TEST_SECRETS.
	// Each line becomes a secret variable of the test container: never in
	// Dagger's logs, cache or an image layer. Do not name the file .env
	// beside dagger.json: Dagger reads that file as default arguments.
	// +optional
	testSecrets *dagger.Secret,
) (string, error) {
	return m.unitTests(ctx, testOptions{Script: script, Env: testEnv, Secrets: testSecrets})
}

// testOptions are the settings of a test run: Test's arguments, which a
// deploy passes on to its test stage.
type testOptions struct {
	// Script is the npm script to run ("test" when empty).
	Script string
	// Env are NAME=value plain variables (--test-env).
	Env []string
	// Secrets is a dotenv file of NAME=value secrets (--test-secrets), or nil.
	Secrets *dagger.Secret

	// The local environment's --databases (ci/local.go) belongs here: a
	// field that makes unitTests bind the two Neo4j services and set the
	// NEO_4J_* variables, at the marked place below.
}

// unitTests runs a test suite in the Dockerfile's test stage. Every setting
// is parsed and checked in plain Go before any container runs, and every
// problem is reported at once.
func (m *CredexCi) unitTests(ctx context.Context, o testOptions) (string, error) {
	if o.Script == "" {
		o.Script = "test"
	}
	env, envErr := source.ParseTestEnv(o.Env)
	var secrets []source.Variable
	var secretsErr error
	if o.Secrets != nil {
		text, err := o.Secrets.Plaintext(ctx)
		if err != nil {
			return "", fmt.Errorf("read --test-secrets: %w", err)
		}
		secrets, secretsErr = source.ParseDotenv(text)
	}
	src, err := m.checked(ctx, source.TargetTest)
	if err != nil {
		return "", errors.Join(err, envErr, secretsErr)
	}
	if err := errors.Join(envErr, secretsErr, source.CheckTestConfig(src.pkg, o.Script, env, secrets)); err != nil {
		return "", err
	}

	tests := m.dockerBuild(src.context, source.TargetTest, "", source.Metadata{}).
		WithMountedCache("/root/.npm", dag.CacheVolume(npmCache))
	for _, v := range env {
		tests = tests.WithEnvVariable(v.Name, v.Value)
	}
	for _, s := range secrets {
		tests = tests.WithSecretVariable(s.Name, dag.SetSecret("credex-ci-test-"+s.Name, s.Value))
	}
	// --databases: bind the Neo4j services and set NEO_4J_* here.
	cmd := []string{"npm", "run", o.Script}
	out, err := tests.WithExec(cmd).Stdout(ctx)
	if err != nil {
		failed := src.failure(fmt.Sprintf("the tests (npm run %s)", o.Script), source.TargetTest, cmd, err)
		return "", errors.New(source.Redact(failed.Error(), secrets))
	}
	return source.Redact(out, secrets), nil
}
