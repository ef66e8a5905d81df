package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/sourcegraph/conc"

	"github.com/great-sun-group/credex-ci/ci/internal/dagger"
	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/localenv"
	"github.com/great-sun-group/credex-ci/internal/report"
	"github.com/great-sun-group/credex-ci/internal/source"
	"github.com/great-sun-group/credex-ci/internal/verify"
)

// The local environment: the whole pipeline on this machine, without AWS.
// The unit tests, the production image and both Neo4j databases are made
// concurrently; the app then runs as a Dagger service wired the way the ECS
// task definition wires it (internal/localenv), and the verification engine
// checks it as it checks staging. Each part's outcome goes in a table
// (localenv.Stack), so a failure says which part failed: a database that
// never became ready (with its log tail), an app that exited (its exit code
// and log tail), or a check.
//
// Logs of a service: Dagger v0.21.8 has no API for a running service's
// output. When a service exits before its ports open, Service.Start fails
// with an ExecError holding its exit code, stdout and stderr (core/service.go
// buffers them while it starts), which is what the app's failure shows. Neo4j
// writes its debug.log to /logs, mounted from a cache volume per run, which
// another container reads when a database never answers Bolt. When the app
// stops answering after it started, the same container is run again as an
// exec under `timeout`, which gives its exit code and output.

// localOptions is what a local deploy takes; deploy --env=local passes
// them.
type localOptions struct {
	// Revision (git SHA) and Created (RFC 3339) are the build metadata, as
	// for build; the health check expects the revision.
	Revision, Created string
	// Checks to run once the stack is up, comma-separated
	// (health,integration,bench); default all that apply locally.
	Checks string
	// Tune overrides the local policy for this run: deploy --env=local
	// takes --bench-duration (verify.ParseDuration, as for stage and prod).
	Tune verify.Overrides
	// Neo4jPassword, when set, is both databases' password instead of a
	// generated one.
	Neo4jPassword *dagger.Secret
	// Tests are the unit tests' settings (test's --script, --test-env,
	// --test-secrets, --databases), as deploy passes them for staging.
	Tests testOptions
	// SkipUnitTests leaves the unit tests out (up starts the stack only).
	SkipUnitTests bool
}

// Bounds of the local stack's waits.
const (
	// databaseStartTimeout covers pulling the Neo4j image and Neo4j opening
	// its ports; the Bolt check has its own (localenv.WaitOptions).
	databaseStartTimeout = 10 * time.Minute
	// appStartTimeout covers the app connecting to both databases, setting
	// them up and listening.
	appStartTimeout = 5 * time.Minute
	// diagnoseTimeout bounds the rerun of an app that stopped answering, in
	// seconds (timeout(1)'s argument).
	diagnoseTimeout = 60
)

// deployLocal runs the whole pipeline locally and returns the stack's table
// and the verification report as Markdown; it fails, with both in the
// error, when a part or a check fails.
func (m *CredexCi) deployLocal(ctx context.Context, o localOptions) (string, error) {
	cfg, err := localVerification(o)
	if err != nil {
		return "", err
	}
	// The Dockerfile check a deploy to staging runs, against local's port.
	if err := m.dockerfileGate(ctx, cfg.Env); err != nil {
		return "", fmt.Errorf("%w; nothing was started", err)
	}
	s, err := m.startLocal(ctx, o)
	if err != nil {
		return "", err
	}
	cfg.Target.URL = s.appURL
	cfg.Redact = s.secretValues()
	cfg.Integration = containerSuite{
		m:    m,
		api:  hostService{InContainer: fmt.Sprintf("http://%s:%d", localenv.APIHost, localenv.AppPort), alias: localenv.APIHost, service: s.app},
		with: s.bindDatabases,
	}
	rep := verify.Run(ctx, cfg)
	if !rep.OK() && !answers(ctx, s.appURL) {
		// The app started, then stopped answering: say why it exited.
		summary, evidence := m.diagnoseApp(ctx, s.appContainer)
		s.parts.Fail(localenv.PartApp, "it started, then stopped answering at "+s.appURL+": "+summary, 0, evidence...)
	}
	md := s.parts.Markdown() + "\n" + rep.Markdown()
	switch {
	case len(s.parts.Failed()) > 0: // the app exited: say so first
		return md, fmt.Errorf("%w\n%s", s.parts.Err(), rep.Markdown())
	case !rep.OK():
		return md, errors.New(md)
	}
	return md, nil
}

// localVerification checks the options and returns the verification's
// configuration, before anything runs.
func localVerification(o localOptions) (verify.Config, error) {
	e, err := envs.Lookup("local")
	if err != nil {
		return verify.Config{}, err
	}
	checks, err := verify.ParseChecks(o.Checks)
	if err != nil {
		return verify.Config{}, fmt.Errorf("--checks: %w; nothing was started", err)
	}
	if o.Checks != "" {
		if err := verify.CheckApplicable(e, checks); err != nil {
			return verify.Config{}, fmt.Errorf("--checks: %w; nothing was started", err)
		}
	}
	policy, err := verify.PolicyFor(e.Name)
	if err != nil {
		return verify.Config{}, err
	}
	cfg := verify.Config{Env: e, Policy: policy, Checks: checks, Target: report.Target{Revision: o.Revision}, Progress: os.Stderr}
	if err := o.Tune.Apply(&cfg); err != nil {
		return verify.Config{}, fmt.Errorf("%w; nothing was started", err)
	}
	return cfg, nil
}

// localStack is one run's local environment: its credentials (as Dagger
// secrets), the databases, the app and how each part went.
type localStack struct {
	run     string
	env     envs.Environment
	creds   localenv.Credentials
	secrets map[string]*dagger.Secret
	dbs     map[string]*dagger.Service
	logs    map[string]*dagger.CacheVolume
	// appContainer is the wired production image; app is it as a service,
	// reached by the function's own checks at appURL.
	appContainer *dagger.Container
	app          *dagger.Service
	appURL       string
	parts        *localenv.Stack
}

// newLocalStack generates the run's credentials (or takes the chosen
// database password) and declares the databases; nothing starts yet.
func (m *CredexCi) newLocalStack(ctx context.Context, password *dagger.Secret) (*localStack, error) {
	e, err := envs.Lookup("local")
	if err != nil {
		return nil, err
	}
	creds, err := localenv.NewCredentials()
	if err != nil {
		return nil, err
	}
	if password != nil {
		p, err := password.Plaintext(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading --neo4j-password: %w", err)
		}
		if err := localenv.CheckPassword(p); err != nil {
			return nil, err
		}
		for name := range creds.Passwords {
			creds.Passwords[name] = p
		}
	}
	run, err := runID()
	if err != nil {
		return nil, err
	}
	s := &localStack{
		run: run, env: e, creds: creds, parts: localenv.NewStack(),
		secrets: map[string]*dagger.Secret{}, dbs: map[string]*dagger.Service{}, logs: map[string]*dagger.CacheVolume{},
	}
	s.parts.Redact(s.secretValues()...)
	for _, db := range localenv.Databases() {
		s.logs[db.Name] = dag.CacheVolume("credex-ci-local-neo4j-logs-" + s.run + "-" + db.Host)
		s.dbs[db.Name] = m.neo4jService(s, db)
	}
	return s, nil
}

// runID is a random name for one run's secrets and volumes. dag.SetSecret
// identifies a secret by its name alone (Dagger v0.21.8: core/secret.go
// SetSecretHandle hashes the name and the module, never the value), and an
// exec's cache key holds that identity: a secret set again under the same
// name with another value would reuse the exec's cached result.
func runID() (string, error) {
	id := make([]byte, 6)
	if _, err := rand.Read(id); err != nil {
		return "", err
	}
	return hex.EncodeToString(id), nil
}

// secretValues are every credential of the run, for masking.
func (s *localStack) secretValues() []string {
	vs := []string{s.creds.JWTSecret, s.creds.WhatsAppBotAPIKey}
	for _, p := range s.creds.Passwords {
		vs = append(vs, p)
	}
	return vs
}

// withEnv sets variables on a container: secrets only as Dagger secrets
// (named per run, so runs never share one), the rest as plain variables.
func (s *localStack) withEnv(c *dagger.Container, vars []localenv.Variable, scope string) *dagger.Container {
	for _, v := range vars {
		if !v.Secret {
			c = c.WithEnvVariable(v.Name, v.Value)
			continue
		}
		key := scope + "-" + v.Name
		secret, ok := s.secrets[key]
		if !ok {
			secret = dag.SetSecret("credex-ci-local-"+s.run+"-"+key, v.Value)
			s.secrets[key] = secret
		}
		c = c.WithSecretVariable(v.Name, secret)
	}
	return c
}

// neo4jService is one database: the official image, auth on with the run's
// password (a secret), its logs on the run's cache volume.
func (m *CredexCi) neo4jService(s *localStack, db localenv.Database) *dagger.Service {
	c := dag.Container().From(m.Neo4jImage).
		WithMountedCache("/logs", s.logs[db.Name], dagger.ContainerWithMountedCacheOpts{Owner: "neo4j"}).
		// A fresh database every run, never a cached one.
		WithEnvVariable("CREDEX_CI_LOCAL_RUN", s.run)
	c = s.withEnv(c, localenv.Neo4jEnv(db, s.creds), db.Host).
		WithExposedPort(localenv.BoltPort).
		WithExposedPort(localenv.HTTPPort)
	return c.AsService(dagger.ContainerAsServiceOpts{UseEntrypoint: true})
}

// bindServices binds both databases into a container under their host
// names (ledgerspace, searchspace).
func (s *localStack) bindServices(c *dagger.Container) *dagger.Container {
	for _, db := range localenv.Databases() {
		c = c.WithServiceBinding(db.Host, s.dbs[db.Name])
	}
	return c
}

// bindDatabases binds both databases and gives the container the NEO_4J_*
// variables, as the app gets them.
func (s *localStack) bindDatabases(c *dagger.Container) *dagger.Container {
	return s.withEnv(s.bindServices(c), localenv.DatabaseEnv(s.creds), "app")
}

// withDatabases starts a fresh pair of databases (credentials generated for
// this run), waits until both answer Bolt, and binds them into c with the
// NEO_4J_* variables: what `test --databases` gives the unit tests.
func (m *CredexCi) withDatabases(ctx context.Context, c *dagger.Container) (*dagger.Container, error) {
	s, err := m.newLocalStack(ctx, nil)
	if err != nil {
		return nil, err
	}
	var wg conc.WaitGroup
	for _, db := range localenv.Databases() {
		wg.Go(func() { m.startDatabase(ctx, s, db) })
	}
	wg.Wait()
	if err := s.parts.ErrOf(localenv.LedgerSpace.Name, localenv.SearchSpace.Name); err != nil {
		return nil, err
	}
	return s.bindDatabases(c), nil
}

// startLocal makes the unit tests, the image and the databases
// concurrently, then starts the app. The error, if any, is the stack's
// table naming the failed part.
func (m *CredexCi) startLocal(ctx context.Context, o localOptions) (*localStack, error) {
	s, err := m.newLocalStack(ctx, o.Neo4jPassword)
	if err != nil {
		return nil, err
	}
	progress(fmt.Sprintf("local: unit tests, the production image and both databases (%s), concurrently", m.Neo4jImage))
	var image *dagger.Container
	var wg conc.WaitGroup
	if o.SkipUnitTests {
		s.parts.Skip(localenv.PartUnitTests, "not run: up starts the stack only (deploy --env=local runs them)")
	} else {
		wg.Go(func() { m.localUnitTests(ctx, s, o.Tests) })
	}
	wg.Go(func() { image = m.localImage(ctx, s, o) })
	for _, db := range localenv.Databases() {
		wg.Go(func() { m.startDatabase(ctx, s, db) })
	}
	wg.Wait()
	if err := s.parts.Err(); err != nil {
		return nil, err
	}
	m.startApp(ctx, s, image)
	if err := s.parts.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

func (m *CredexCi) localUnitTests(ctx context.Context, s *localStack, o testOptions) {
	start := time.Now()
	out, err := m.unitTests(ctx, o)
	if err != nil {
		s.parts.Fail(localenv.PartUnitTests, "the unit tests failed", time.Since(start), localenv.Tail(60, err.Error())...)
		return
	}
	s.parts.Ready(localenv.PartUnitTests, localenv.UnitTestsSummary(out), time.Since(start))
}

// localImage builds the production image, as for staging but for this
// engine's own platform (so an arm64 laptop runs it natively), and wires it
// like the task definition.
func (m *CredexCi) localImage(ctx context.Context, s *localStack, o localOptions) *dagger.Container {
	start := time.Now()
	platform, err := dag.DefaultPlatform(ctx)
	if err != nil {
		s.parts.Fail(localenv.PartImage, "reading the engine's platform: "+err.Error(), time.Since(start))
		return nil
	}
	image, err := m.Build(ctx, source.TargetProduction, platform, o.Revision, o.Created)
	if err != nil {
		s.parts.Fail(localenv.PartImage, "building the production image failed", time.Since(start), localenv.Tail(60, execFailure("docker build", err).Error())...)
		return nil
	}
	summary := "production target for " + string(platform)
	if o.Revision != "" {
		summary += ", revision " + o.Revision
	}
	s.parts.Ready(localenv.PartImage, summary, time.Since(start))
	return image
}

// startDatabase starts one database and waits until it answers Bolt with
// the run's credentials, from the function itself at the service's
// endpoint. A failure carries the database's exit code and output, or the
// end of its debug.log.
func (m *CredexCi) startDatabase(ctx context.Context, s *localStack, db localenv.Database) {
	start := time.Now()
	startCtx, cancel := context.WithTimeout(ctx, databaseStartTimeout)
	defer cancel()
	svc, err := s.dbs[db.Name].Start(startCtx)
	if err != nil {
		summary, evidence := exited("its Neo4j", err, databaseStartTimeout)
		s.parts.Fail(db.Name, summary, time.Since(start), append(evidence, m.neo4jLogTail(ctx, s, db)...)...)
		return
	}
	addr, err := svc.Endpoint(ctx, dagger.ServiceEndpointOpts{Port: localenv.BoltPort})
	if err != nil {
		s.parts.Fail(db.Name, "no Bolt endpoint: "+err.Error(), time.Since(start))
		return
	}
	progress(fmt.Sprintf("local: %s started, waiting for Bolt at %s", db.Name, addr))
	srv, err := localenv.Wait(ctx, localenv.Probe{Database: db.Name, Address: addr, User: localenv.Neo4jUser, Password: s.creds.Passwords[db.Name]},
		localenv.WaitOptions{OnAttempt: func(n int, err error) {
			if n%10 == 0 {
				progress(fmt.Sprintf("local: %s not ready yet (attempt %d): %v", db.Name, n, err))
			}
		}})
	if err != nil {
		s.parts.Fail(db.Name, err.Error(), time.Since(start), m.neo4jLogTail(ctx, s, db)...)
		return
	}
	s.parts.Ready(db.Name, fmt.Sprintf("%s answered Bolt %s with its credentials, %s", srv.Agent, srv.Version, db.BoltURL()), time.Since(start))
}

// neo4jLogTail reads the end of a database's debug.log from its cache
// volume, in a container of the same image.
func (m *CredexCi) neo4jLogTail(ctx context.Context, s *localStack, db localenv.Database) []string {
	out, err := dag.Container().From(m.Neo4jImage).
		WithMountedCache("/logs", s.logs[db.Name], dagger.ContainerWithMountedCacheOpts{Owner: "neo4j"}).
		WithEnvVariable("CREDEX_CI_READ_AT", time.Now().UTC().Format(time.RFC3339Nano)).
		WithExec([]string{"sh", "-c", "tail -n 40 /logs/debug.log 2>/dev/null || echo '(Neo4j wrote no /logs/debug.log)'"}).
		Stdout(ctx)
	if err != nil {
		return []string{"(could not read its /logs/debug.log: " + err.Error() + ")"}
	}
	return append([]string{"the last lines of its /logs/debug.log:"}, localenv.Tail(40, out)...)
}

// startApp runs the wired production image as a service and records its
// URL; an app that exits before it listens is reported with its exit code
// and output.
func (m *CredexCi) startApp(ctx context.Context, s *localStack, image *dagger.Container) {
	start := time.Now()
	c := s.withEnv(s.bindServices(image), localenv.AppEnv(s.env, s.creds), "app").
		WithExposedPort(localenv.AppPort)
	s.appContainer = c
	s.app = c.AsService(dagger.ContainerAsServiceOpts{UseEntrypoint: true})
	startCtx, cancel := context.WithTimeout(ctx, appStartTimeout)
	defer cancel()
	svc, err := s.app.Start(startCtx)
	if err != nil {
		summary, evidence := exited("the app", err, appStartTimeout)
		var exec *dagger.ExecError
		if !errors.As(err, &exec) {
			// No exit status from Start: run it again to see one.
			more, diag := m.diagnoseApp(ctx, c)
			summary += "; " + more
			evidence = append(evidence, diag...)
		}
		s.parts.Fail(localenv.PartApp, summary, time.Since(start), evidence...)
		return
	}
	if s.appURL, err = svc.Endpoint(ctx, dagger.ServiceEndpointOpts{Port: localenv.AppPort, Scheme: "http"}); err != nil {
		s.parts.Fail(localenv.PartApp, "no endpoint on port "+strconv.Itoa(localenv.AppPort)+": "+err.Error(), time.Since(start))
		return
	}
	s.parts.Ready(localenv.PartApp, "listening on port "+strconv.Itoa(localenv.AppPort)+", wired like the ECS task definition", time.Since(start))
}

// exited describes a service that failed to start: its exit code and the
// end of its output when it exited (an ExecError), that it ran out of time,
// or the error.
func exited(what string, err error, timeout time.Duration) (string, []string) {
	var exec *dagger.ExecError
	switch {
	case errors.As(err, &exec):
		return fmt.Sprintf("%s exited with code %d before its ports opened", what, exec.ExitCode),
			append([]string{"the last lines of its output:"}, localenv.Tail(40, exec.Stdout, exec.Stderr)...)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("%s did not open its ports within %s", what, timeout), nil
	}
	return fmt.Sprintf("%s did not start: %v", what, err), nil
}

// diagnoseApp runs the app's container again as an exec, with its own
// command under `timeout`, and says how it ended.
func (m *CredexCi) diagnoseApp(ctx context.Context, c *dagger.Container) (string, []string) {
	entrypoint, err := c.Entrypoint(ctx)
	if err != nil {
		return "its command could not be read: " + err.Error(), nil
	}
	args, err := c.DefaultArgs(ctx)
	if err != nil {
		return "its command could not be read: " + err.Error(), nil
	}
	cmd := append([]string{"timeout", strconv.Itoa(diagnoseTimeout)}, append(entrypoint, args...)...)
	run := c.WithEnvVariable("CREDEX_CI_DIAGNOSE_AT", time.Now().UTC().Format(time.RFC3339Nano)).
		WithExec(cmd, dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
	code, err := run.ExitCode(ctx)
	if err != nil {
		return "running it again failed: " + err.Error(), nil
	}
	stdout, _ := run.Stdout(ctx)
	stderr, _ := run.Stderr(ctx)
	tail := append([]string{"the last lines of its output, run again alone:"}, localenv.Tail(40, stdout, stderr)...)
	if code == 124 {
		return fmt.Sprintf("run again alone, it kept running for %ds (it does not exit at start-up)", diagnoseTimeout), tail
	}
	return fmt.Sprintf("run again alone, it exited with code %d", code), tail
}

// answers reports whether the app still answers HTTP at url.
func answers(ctx context.Context, url string) bool {
	return getOnce(ctx, url+"/health") == nil
}

// progress prints a line to the function's progress output.
func progress(line string) {
	fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05"), line)
}
