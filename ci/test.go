package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/great-sun-group/credex-ci/ci/internal/dagger"
	"github.com/great-sun-group/credex-ci/internal/localenv"
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
	// Start two fresh Neo4j 5 databases (LedgerSpace and SearchSpace, as
	// deploy --env=local does, with passwords generated for this run), wait
	// until both answer Bolt, and give the suite credex-core's NEO_4J_*
	// variables (the passwords as secrets) to reach them.
	// +optional
	databases bool,
) (_ string, err error) {
	defer keepMessage(&err)
	return m.unitTests(ctx, testOptions{Script: script, Env: testEnv, Secrets: testSecrets, Databases: databases})
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
	// Databases binds two fresh Neo4j services and sets the NEO_4J_*
	// variables (--databases; withDatabases in ci/local.go).
	Databases bool
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
	var dbErr error
	if o.Databases {
		var names []string
		for _, v := range slices.Concat(env, secrets) {
			names = append(names, v.Name)
		}
		dbErr = localenv.CheckNoDatabaseVariables(names)
	}
	if err := errors.Join(envErr, secretsErr, dbErr, source.CheckTestConfig(src.pkg, o.Script, env, secrets)); err != nil {
		return "", err
	}

	tests := m.dockerBuild(src.context, source.TargetTest, "", source.Metadata{}).
		WithMountedCache("/root/.npm", dag.CacheVolume(npmCache))
	for _, v := range env {
		tests = tests.WithEnvVariable(v.Name, v.Value)
	}
	if len(secrets) > 0 {
		// Named per run (runID): under a fixed name, tests run with
		// another value of a secret would reuse the cached result of the
		// last run. (test itself is cached by its arguments, --test-secrets'
		// content included, so an unchanged run still costs nothing.)
		run, err := runID()
		if err != nil {
			return "", err
		}
		for _, s := range secrets {
			tests = tests.WithSecretVariable(s.Name, dag.SetSecret("credex-ci-test-"+run+"-"+s.Name, s.Value))
		}
	}
	if o.Databases {
		if tests, err = m.withDatabases(ctx, tests); err != nil {
			return "", fmt.Errorf("the tests' databases (--databases): %w", err)
		}
	}
	cmd := []string{"npm", "run", o.Script}
	out, err := tests.WithExec(cmd).Stdout(ctx)
	if err != nil {
		failed := src.failure(fmt.Sprintf("the tests (npm run %s)", o.Script), source.TargetTest, cmd, err)
		return "", errors.New(source.Redact(failed.Error(), secrets))
	}
	return source.Redact(out, secrets), nil
}
