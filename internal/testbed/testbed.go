// Package testbed runs a local AWS for credex-ci's end-to-end tests and
// benchmarks: kumo in-process (STS, ECR repositories, Secrets Manager,
// CloudWatch Logs, ELBv2, EC2, SSM, ...) plus our ECS control-plane
// simulator (internal/ecssim), behind ONE endpoint on 127.0.0.1 that routes
// ECS requests (by X-Amz-Target) to the simulator, answers ECR's image
// operations from its own registry (registry*.go) and the operations a
// Terraform plan of the stack needs that kumo lacks (EC2
// DescribeAvailabilityZones, Amazon Linux's public AMI parameters: ec2.go;
// KMS key rotation: kms.go),
// and sends everything else to kumo, so a single --aws-endpoint-url serves
// the whole pipeline. It also sets up scripted deployments through
// real SDK calls (Deploy) and measures how fast the rollout watcher detects
// outcomes (MeasureOutcomeDetection).
package testbed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/sivchari/kumo"

	"github.com/great-sun-group/credex-ci/internal/ecssim"
	"github.com/great-sun-group/credex-ci/internal/envs"
)

// AccountID is the account kumo's STS reports and the simulator's ARNs
// carry.
const AccountID = "000000000000"

// Static test credentials; kumo and the simulator accept any.
const (
	AccessKeyID     = "AKIDTESTBED"
	SecretAccessKey = "testbed-secret"
)

// Bed is a running test bed.
type Bed struct {
	// URL is the one AWS endpoint (http://127.0.0.1:port).
	URL string
	// Region is the region clients should use (envs.DefaultRegion).
	Region string
	// Sim is the ECS simulator, for scripting scenarios and reading
	// settlements.
	Sim *ecssim.Simulator

	kumo   *kumo.Server
	server *http.Server
	proxy  *httputil.ReverseProxy

	// registry is the container registry standing in for ECR's.
	registry *Registry
	// kumoECR reaches kumo's ECR directly (repositories), not through route.
	kumoECR *ecr.Client

	// One SDK client each, so their connections are reused.
	ecs  *ecs.Client
	logs *cloudwatchlogs.Client
	elb  *elb.Client

	// beforeECS, when set, sees every ECS operation before the simulator
	// (the demo stages its deployment on the first DescribeServices).
	beforeECS atomic.Pointer[func(op string)]

	// fresh are the connections that have not sent a request yet (see
	// Close).
	connMu sync.Mutex
	fresh  map[net.Conn]bool

	mu        sync.Mutex
	unhealthy map[string]TargetHealth              // by target group ARN
	timing    map[string]targetTiming              // by target group ARN
	targets   map[string]map[targetKey]*targetLife // by target group ARN
	passwords []string                             // GetRandomPassword's answers
	rotations map[string]kmsRotation               // by KMS key ID
	hookErr   error
	seq       int
}

// Options configure StartWith.
type Options struct {
	// Addr is where the endpoint listens (host:port); empty means
	// 127.0.0.1 on a free port.
	Addr string
	// RegistryAddr is where the container registry listens (host:port);
	// empty means 127.0.0.1 on a free port.
	RegistryAddr string
}

// Start starts kumo, the simulator and the routing endpoint on 127.0.0.1
// and a free port. ctx bounds the start only; Close stops everything.
func Start(ctx context.Context) (*Bed, error) {
	return StartWith(ctx, Options{})
}

// StartWith is Start with options, such as a fixed address.
func StartWith(ctx context.Context, opts Options) (*Bed, error) {
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b := &Bed{
		Region: envs.DefaultRegion, fresh: map[net.Conn]bool{},
		unhealthy: map[string]TargetHealth{}, timing: map[string]targetTiming{}, targets: map[string]map[targetKey]*targetLife{},
		rotations: map[string]kmsRotation{},
	}
	b.kumo = newKumo()
	kumoURL, err := url.Parse(b.kumo.URL)
	if err != nil {
		closeKumo(b.kumo)
		return nil, fmt.Errorf("test bed: kumo URL %q: %w", b.kumo.URL, err)
	}
	b.proxy = httputil.NewSingleHostReverseProxy(kumoURL)
	if err := b.seedPublicParameters(ctx); err != nil {
		closeKumo(b.kumo)
		return nil, err
	}
	b.Sim = ecssim.New(ecssim.Options{Region: b.Region, AccountID: AccountID, OnTask: b.onTask})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		closeKumo(b.kumo)
		return nil, fmt.Errorf("test bed: listening on %s: %w (is another test bed running? pick another host:port, or port 0 for a free one)", addr, err)
	}
	b.URL = "http://" + ln.Addr().String()
	kumoCfg := b.Config()
	kumoCfg.BaseEndpoint = aws.String(b.kumo.URL)
	b.kumoECR = ecr.NewFromConfig(kumoCfg)
	registryAddr := opts.RegistryAddr
	if registryAddr == "" {
		registryAddr = "127.0.0.1:0"
	}
	if b.registry, err = startRegistry(b, registryAddr); err != nil {
		_ = ln.Close()
		closeKumo(b.kumo)
		return nil, err
	}
	b.server = &http.Server{Handler: http.HandlerFunc(b.route), ReadHeaderTimeout: 10 * time.Second, ConnState: b.trackConn}
	go func() { _ = b.server.Serve(ln) }()
	cfg := b.Config()
	b.ecs, b.logs, b.elb = ecs.NewFromConfig(cfg), cloudwatchlogs.NewFromConfig(cfg), elb.NewFromConfig(cfg)
	return b, nil
}

// Close stops the endpoint, the simulator and kumo.
func (b *Bed) Close() {
	// Shutdown waits up to 5 s for a connection that has not sent a request
	// yet, and an SDK client racing several calls often leaves one (its
	// transport dials for a request that another connection then serves).
	// Such a connection holds no work: close it first.
	b.connMu.Lock()
	for c := range b.fresh {
		c.Close()
	}
	b.connMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = b.server.Shutdown(ctx)
	b.registry.close(ctx)
	closeKumo(b.kumo)
}

func (b *Bed) trackConn(c net.Conn, state http.ConnState) {
	b.connMu.Lock()
	defer b.connMu.Unlock()
	if state == http.StateNew {
		b.fresh[c] = true
	} else {
		delete(b.fresh, c)
	}
}

// kumoMu serialises starting and stopping kumo servers: kumo wires its
// services through process-wide state, which concurrent constructors race
// on (seen with -race).
var kumoMu sync.Mutex

func newKumo() *kumo.Server {
	kumoMu.Lock()
	defer kumoMu.Unlock()
	return kumo.NewServer()
}

func closeKumo(s *kumo.Server) {
	kumoMu.Lock()
	defer kumoMu.Unlock()
	s.Close()
}

// route sends ECS calls to the simulator, answers what the bed adds to
// kumo, and sends the rest to kumo.
func (b *Bed) route(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	if op, ok := strings.CutPrefix(target, ecssim.TargetPrefix); ok {
		if hook := b.beforeECS.Load(); hook != nil {
			(*hook)(op)
		}
		b.Sim.ServeHTTP(w, r)
		return
	}
	if target == getRandomPassword {
		b.recordRandomPassword(w, r)
		return
	}
	if b.serveTargetHealth(w, r) || b.serveECR(w, r) || b.serveEC2(w, r) || b.serveKMS(w, r) {
		return
	}
	b.proxy.ServeHTTP(w, r)
}

// Config is an aws.Config for the bed: its region, static credentials and
// BaseEndpoint. Clients made from it reach the bed.
func (b *Bed) Config() aws.Config {
	return aws.Config{
		Region:       b.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		BaseEndpoint: aws.String(b.URL),
	}
}

// Registry is the bed's container registry, which the bed's ECR image
// operations answer from.
func (b *Bed) Registry() *Registry { return b.registry }

// ECS is the bed's ECS client (the real SDK client, talking to the simulator).
func (b *Bed) ECS() *ecs.Client { return b.ecs }

// Logs is the bed's CloudWatch Logs client.
func (b *Bed) Logs() *cloudwatchlogs.Client { return b.logs }

// ELB is the bed's ELBv2 client.
func (b *Bed) ELB() *elb.Client { return b.elb }

// HookError returns the first error the bed met while acting for ECS
// (registering targets, writing task logs), if any.
func (b *Bed) HookError() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.hookErr
}

func (b *Bed) recordHookErr(err error) {
	if err == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hookErr = errors.Join(b.hookErr, err)
}
