package main

import (
	"context"
	"fmt"

	"github.com/great-sun-group/credex-ci/ci/internal/dagger"
	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/localenv"
)

// Up starts credex-core on this machine, with no AWS: both Neo4j databases
// (waited on over Bolt) and the production image wired like the ECS task
// definition, and returns them behind one service exposing the API on 5000
// and each database's browser and Bolt ports (LedgerSpace 7474/7687,
// SearchSpace 7475/7688). Keep it running with
// `dagger call up --env=local up` (all ports) or
// `... up --ports=5000:5000` (the API alone). The databases start empty.
// +cache="never"
func (m *CredexCi) Up(
	ctx context.Context,
	// Environment: local (stage and prod run in AWS; reach them at their URL).
	env string,
	// Git commit SHA being run, e.g. $(git rev-parse HEAD); GET /health reports it.
	// +optional
	revision string,
	// Build time, RFC 3339, e.g. $(date -u +%Y-%m-%dT%H:%M:%SZ).
	// +optional
	created string,
	// Both databases' password (user neo4j), to log in to the Neo4j
	// Browser, e.g. env://NEO4J_PASSWORD; default generated and not shown.
	// +optional
	neo4jPassword *dagger.Secret,
) (_ *dagger.Service, err error) {
	defer keepMessage(&err)
	e, err := envs.Lookup(env)
	if err != nil {
		return nil, err
	}
	if !e.Local {
		return nil, fmt.Errorf("up runs only --env=local: %s runs in AWS, so reach it at its URL (the stack's api_url output) or verify it with `dagger call verify --env=%s`", e.Name, e.Name)
	}
	s, err := m.startLocal(ctx, localOptions{Revision: revision, Created: created, Neo4jPassword: neo4jPassword, SkipUnitTests: true})
	if err != nil {
		return nil, err
	}
	gateway := dag.Container().From(m.NodeImage).
		WithNewFile("/gateway.js", localenv.GatewayScript).
		WithServiceBinding(localenv.APIHost, s.app)
	gateway = s.bindServices(gateway)
	args := []string{"node", "/gateway.js"}
	for _, f := range localenv.Forwards() {
		gateway = gateway.WithExposedPort(f.Listen)
		args = append(args, f.String())
	}
	progress(localenv.UpMessage(revision, neo4jPassword != nil))
	return gateway.AsService(dagger.ContainerAsServiceOpts{Args: args}), nil
}
