package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/great-sun-group/credex-ci/ci/internal/dagger"
	"github.com/great-sun-group/credex-ci/internal/awsconf"
	"github.com/great-sun-group/credex-ci/internal/envs"
)

// awsAlias is the host name containers reach an --aws-endpoint service by.
const awsAlias = "aws"

// awsEndpoint is where AWS calls go: nowhere special (real AWS) when both
// URLs are empty.
type awsEndpoint struct {
	// InProcess is the URL the function's own SDK clients use.
	InProcess string
	// InContainer is the URL containers (Terraform) use: http://aws:PORT
	// when the endpoint is a service bound into them.
	InContainer string
	// service, when set, is bound into every container that calls AWS.
	service *dagger.Service
}

// Set reports whether AWS calls go to an endpoint other than AWS's own.
func (e awsEndpoint) Set() bool { return e.InProcess != "" }

// endpoint resolves the AWS endpoint override. An --aws-endpoint service (a
// test bed or emulator on the user's machine, tcp://localhost:4566) is
// started and reached by its Dagger host name; an --aws-endpoint-url must be
// another machine's (loopback inside Dagger is the function's own
// container), and is refused otherwise with the fix.
func (m *CredexCi) endpoint(ctx context.Context) (awsEndpoint, error) {
	if m.AwsEndpoint != nil && m.AwsEndpointURL != "" {
		return awsEndpoint{}, fmt.Errorf("pass either --aws-endpoint (a service, e.g. tcp://localhost:4566) or --aws-endpoint-url (a remote http(s) URL), not both")
	}
	if m.AwsEndpointURL != "" {
		if err := awsconf.CheckRemoteEndpoint(m.AwsEndpointURL); err != nil {
			return awsEndpoint{}, err
		}
		return awsEndpoint{InProcess: m.AwsEndpointURL, InContainer: m.AwsEndpointURL}, nil
	}
	if m.AwsEndpoint == nil {
		return awsEndpoint{}, nil
	}
	svc, err := startService(ctx, m.AwsEndpoint, "--aws-endpoint", awsAlias, "is the test bed or emulator running on that port of your machine?")
	if err != nil {
		return awsEndpoint{}, err
	}
	return awsEndpoint{InProcess: svc.InProcess, InContainer: svc.InContainer, service: svc.service}, nil
}

// hostService is a service given as tcp://localhost:PORT (on the user's
// machine), started: the function's own code reaches it at InProcess, the
// containers it is bound into (bind) at InContainer, http://<alias>:PORT.
type hostService struct {
	InProcess, InContainer string
	alias, port            string
	service                *dagger.Service
}

// startService starts a service argument and resolves both its URLs; flag
// and hint make the errors say which argument and what to check.
func startService(ctx context.Context, svc *dagger.Service, flag, alias, hint string) (hostService, error) {
	started, err := svc.Start(ctx)
	if err != nil {
		return hostService{}, fmt.Errorf("starting %s: %w (%s)", flag, err, hint)
	}
	in, err := started.Endpoint(ctx, dagger.ServiceEndpointOpts{Scheme: "http"})
	if err != nil {
		return hostService{}, fmt.Errorf("%s: %w (give it as tcp://localhost:PORT)", flag, err)
	}
	u, err := url.Parse(in)
	if err != nil || u.Port() == "" {
		return hostService{}, fmt.Errorf("%s has no port (%q): give it as tcp://localhost:PORT", flag, in)
	}
	// A service on the user's machine starts whether or not anything
	// listens there: its health check only dials the tunnel's own listener
	// (Dagger v0.21.8 core/healthcheck.go, core/service.go
	// startReverseTunnel), and each connection is then closed when the
	// machine refuses it. Ask once over HTTP, so a missing server is named
	// here and not as an EOF in the first AWS call or health check.
	if err := answersHTTP(ctx, in); err != nil {
		return hostService{}, fmt.Errorf("%s: nothing answers HTTP on port %s of your machine (%v): %s", flag, u.Port(), err, hint)
	}
	return hostService{InProcess: in, InContainer: "http://" + alias + ":" + u.Port(), alias: alias, port: u.Port(), service: started}, nil
}

// answersHTTP returns nil when target answers HTTP at all (any status),
// trying a few times over a few seconds.
func answersHTTP(ctx context.Context, target string) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
		}
		if err = getOnce(ctx, target); err == nil {
			return nil
		}
	}
	return err
}

// getOnce sends one GET to target and discards the answer.
func getOnce(ctx context.Context, target string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// bind makes the service reachable from c at InContainer (nothing to do
// for a URL that is not a service).
func (s hostService) bind(c *dagger.Container) *dagger.Container {
	if s.service == nil {
		return c
	}
	return c.WithServiceBinding(s.alias, s.service)
}

// withAWS gives a container the pipeline's AWS credentials, only ever as
// secret variables (never plain environment, build args or files in a layer),
// plus the region and the endpoint override: with an --aws-endpoint service,
// the service is bound as "aws" and AWS_ENDPOINT_URL points at it.
func (m *CredexCi) withAWS(c *dagger.Container, region string, ep awsEndpoint) *dagger.Container {
	if m.AwsAccessKeyID != nil {
		c = c.WithSecretVariable("AWS_ACCESS_KEY_ID", m.AwsAccessKeyID)
	}
	if m.AwsSecretAccessKey != nil {
		c = c.WithSecretVariable("AWS_SECRET_ACCESS_KEY", m.AwsSecretAccessKey)
	}
	if m.AwsSessionToken != nil {
		c = c.WithSecretVariable("AWS_SESSION_TOKEN", m.AwsSessionToken)
	}
	if region != "" {
		c = c.WithEnvVariable("AWS_REGION", region).WithEnvVariable("AWS_DEFAULT_REGION", region)
	}
	if ep.service != nil {
		c = c.WithServiceBinding(awsAlias, ep.service)
	}
	if ep.InContainer != "" {
		c = c.WithEnvVariable("AWS_ENDPOINT_URL", ep.InContainer)
	}
	return c
}

// awsConfig is the configuration of the function's own AWS clients for e:
// the constructor's credentials (or the usual chain when none were given),
// e's region, and the endpoint override (m.endpoint). redact lists the
// credentials' values, which no report or summary may print.
func (m *CredexCi) awsConfig(ctx context.Context, e envs.Environment) (cfg aws.Config, redact []string, err error) {
	static, err := m.staticCredentials(ctx)
	if err != nil {
		return cfg, nil, err
	}
	ep, err := m.endpoint(ctx)
	if err != nil {
		return cfg, nil, err
	}
	if cfg, err = awsconf.Load(ctx, awsconf.Options{Region: e.Region, EndpointURL: ep.InProcess, Static: static}); err != nil {
		return cfg, nil, err
	}
	if static != nil {
		redact = []string{static.AccessKeyID, static.SecretAccessKey, static.SessionToken}
	}
	return cfg, redact, nil
}

// staticCredentials reads the constructor's AWS secrets, in memory only;
// nil when none were given (the usual chain applies).
func (m *CredexCi) staticCredentials(ctx context.Context) (*awsconf.StaticCredentials, error) {
	if m.AwsAccessKeyID == nil && m.AwsSecretAccessKey == nil {
		return nil, nil
	}
	if m.AwsAccessKeyID == nil || m.AwsSecretAccessKey == nil {
		return nil, errors.New("pass both --aws-access-key-id and --aws-secret-access-key (e.g. env://AWS_ACCESS_KEY_ID and env://AWS_SECRET_ACCESS_KEY)")
	}
	// An env:// secret naming an unset variable is created anyway and fails
	// only when read (Dagger v0.21.8: core/schema/secret.go falls back to a
	// random cache key, engine/client/secretprovider/env.go errors on read),
	// so every secret is read here, before any container uses it.
	var c awsconf.StaticCredentials
	var err error
	if c.AccessKeyID, err = m.AwsAccessKeyID.Plaintext(ctx); err != nil {
		return nil, fmt.Errorf("reading --aws-access-key-id: %w (is the variable it names exported?)", err)
	}
	if c.SecretAccessKey, err = m.AwsSecretAccessKey.Plaintext(ctx); err != nil {
		return nil, fmt.Errorf("reading --aws-secret-access-key: %w (is the variable it names exported?)", err)
	}
	if m.AwsSessionToken != nil {
		if c.SessionToken, err = m.AwsSessionToken.Plaintext(ctx); err != nil {
			return nil, fmt.Errorf("reading --aws-session-token: %w (long-lived keys have no session token: leave --aws-session-token out; temporary ones, from SSO, STS or OIDC, do: export AWS_SESSION_TOKEN)", err)
		}
	}
	return &c, nil
}
