package main

import (
	"github.com/great-sun-group/credex-ci/ci/internal/dagger"
)

// withAWS gives a container the pipeline's AWS credentials, only ever as
// secret variables (never plain environment, build args or files in a layer),
// plus the region and, for a local test bed, the endpoint override.
func (m *CredexCi) withAWS(c *dagger.Container, region string) *dagger.Container {
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
	if m.AwsEndpointURL != "" {
		c = c.WithEnvVariable("AWS_ENDPOINT_URL", m.AwsEndpointURL)
	}
	return c
}
