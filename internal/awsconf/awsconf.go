// Package awsconf builds the aws.Config every step of the pipeline uses and
// checks, before anything else talks to AWS, that the credentials belong to
// the environment's account.
//
// Credentials come from explicit static values (what the Dagger module reads
// from its secrets) or else the SDK's usual chain: environment variables, a
// shared profile (AWS_PROFILE), OIDC web identity (AWS_WEB_IDENTITY_TOKEN_FILE
// with AWS_ROLE_ARN), SSO, container and instance roles. An endpoint override
// (a local test bed) applies to every client made from the config.
package awsconf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// StaticCredentials are explicit credentials, held in memory only. Their
// String method never prints the secret parts.
type StaticCredentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// String identifies the credentials without revealing them.
func (c StaticCredentials) String() string {
	id := c.AccessKeyID
	if len(id) > 4 {
		id = "…" + id[len(id)-4:]
	}
	return "static credentials (access key " + id + ")"
}

// GoString keeps %#v from printing the secrets too.
func (c StaticCredentials) GoString() string { return c.String() }

// Options say where credentials, region and endpoint come from.
type Options struct {
	// Region, normally the environment's (envs.Environment.Region). Empty
	// falls back to AWS_REGION / the profile's region.
	Region string
	// EndpointURL overrides every service endpoint (a local test bed). Empty
	// falls back to AWS_ENDPOINT_URL; empty again means real AWS.
	EndpointURL string
	// Static credentials, when set, take precedence over the chain.
	Static *StaticCredentials
	// Profile selects a shared-config profile; empty uses AWS_PROFILE.
	Profile string
	// MaxAttempts per API call (throttling and transient errors are retried
	// with jittered backoff); zero means 8.
	MaxAttempts int
	// MaxBackoff between retries; zero means 20s.
	MaxBackoff time.Duration
}

// ErrNoCredentials is returned (wrapped) when no credentials can be found.
var ErrNoCredentials = errors.New("no AWS credentials")

// Load builds the config. It does not call AWS; Preflight does.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	endpoint := o.EndpointURL
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	if endpoint != "" {
		if err := checkEndpoint(endpoint); err != nil {
			return aws.Config{}, err
		}
	}
	if o.Static != nil && (o.Static.AccessKeyID == "") != (o.Static.SecretAccessKey == "") {
		return aws.Config{}, fmt.Errorf("%w: an access key ID and a secret access key go together; pass both (or neither, to use AWS_PROFILE or the environment)", ErrNoCredentials)
	}
	maxAttempts, maxBackoff := o.MaxAttempts, o.MaxBackoff
	if maxAttempts == 0 {
		maxAttempts = 8
	}
	if maxBackoff == 0 {
		maxBackoff = 20 * time.Second
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			// Adaptive mode: the standard jittered exponential backoff plus a
			// client-side rate limit that tightens on throttling errors.
			return retry.NewAdaptiveMode(func(a *retry.AdaptiveModeOptions) {
				a.StandardOptions = append(a.StandardOptions, func(s *retry.StandardOptions) {
					s.MaxAttempts = maxAttempts
					s.MaxBackoff = maxBackoff
				})
			})
		}),
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Static != nil && o.Static.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(aws.NewCredentialsCache(
			credentials.NewStaticCredentialsProvider(o.Static.AccessKeyID, o.Static.SecretAccessKey, o.Static.SessionToken))))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w (check AWS_PROFILE and ~/.aws/config)", err)
	}
	if endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	CountRetries(&cfg)
	if cfg.Region == "" {
		return aws.Config{}, errors.New("no AWS region: set aws_region in the environment's tfvars file, or AWS_REGION")
	}
	return cfg, nil
}

func checkEndpoint(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("AWS endpoint URL %q is not an http(s) URL: pass e.g. --aws-endpoint-url=http://127.0.0.1:4566 to the credex-ci CLI, "+
			"or, to a Dagger function, a service: --aws-endpoint=tcp://localhost:4566; leave both out for real AWS", RedactedURL(s))
	}
	return nil
}

// CheckRemoteEndpoint checks an endpoint URL given to a Dagger function as a
// plain string (--aws-endpoint-url): an http(s) URL of another machine.
// Inside Dagger, 127.0.0.1 and localhost are the function's own container,
// never the user's machine, so a loopback URL is refused with the fix: pass
// the endpoint as a service (--aws-endpoint=tcp://localhost:PORT).
func CheckRemoteEndpoint(s string) error {
	if err := checkEndpoint(s); err != nil {
		return err
	}
	return RefuseLoopback("--aws-endpoint-url", s, "the endpoint", "--aws-endpoint", "4566")
}

// RefuseLoopback refuses a URL given to a Dagger function (flag) that
// points at loopback, which inside Dagger is the function's own container,
// not the user's machine, naming the fix: what, passed as a service instead
// (serviceFlag=tcp://localhost:PORT, the URL's port or else defaultPort).
// The URL is echoed without its password. Any other URL, or one that does
// not parse, is not its to refuse.
func RefuseLoopback(flag, raw, what, serviceFlag, defaultPort string) error {
	u, err := url.Parse(raw)
	if err != nil || !IsLoopback(u.Hostname()) {
		return nil
	}
	port := u.Port()
	if port == "" {
		port = defaultPort
	}
	return fmt.Errorf("%s=%s points at loopback, which inside Dagger is the function's own container, not your machine: "+
		"pass %s as a service instead, %s=tcp://localhost:%s", flag, u.Redacted(), what, serviceFlag, port)
}

// IsLoopback reports whether host (a name or an IP, without port) is this
// machine: localhost, 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RedactedURL is a URL as it may be echoed: without its password.
func RedactedURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable)"
	}
	return u.Redacted()
}

// HowToProvideCredentials is the advice given whenever credentials are
// missing or wrong.
const HowToProvideCredentials = "provide AWS credentials in one of these ways: " +
	"AWS_PROFILE=<profile> (after `aws sso login --profile <profile>` if it uses SSO); " +
	"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary credentials); " +
	"in GitHub Actions, OIDC via aws-actions/configure-aws-credentials or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE; " +
	"with Dagger, --aws-access-key-id=env://AWS_ACCESS_KEY_ID --aws-secret-access-key=env://AWS_SECRET_ACCESS_KEY (plus --aws-session-token=env://AWS_SESSION_TOKEN)"

func describeSource(source string) string {
	if source == "" {
		return "the default credential chain"
	}
	return strings.TrimSuffix(source, "Provider")
}
