package main

import (
	"context"
	"fmt"
	"net/url"

	"github.com/great-sun-group/credex-ci/ci/internal/dagger"
	"github.com/great-sun-group/credex-ci/internal/awsconf"
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
	svc, err := m.AwsEndpoint.Start(ctx)
	if err != nil {
		return awsEndpoint{}, fmt.Errorf("starting --aws-endpoint: %w (is the test bed or emulator running on that port of your machine?)", err)
	}
	in, err := svc.Endpoint(ctx, dagger.ServiceEndpointOpts{Scheme: "http"})
	if err != nil {
		return awsEndpoint{}, fmt.Errorf("--aws-endpoint: %w (give it as tcp://localhost:PORT)", err)
	}
	u, err := url.Parse(in)
	if err != nil || u.Port() == "" {
		return awsEndpoint{}, fmt.Errorf("--aws-endpoint has no port (%q): give it as tcp://localhost:PORT", in)
	}
	return awsEndpoint{InProcess: in, InContainer: "http://" + awsAlias + ":" + u.Port(), service: svc}, nil
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
