// Package envs is the one place where the environment names users type
// (`--env=stage`, `--env=prod`, `--env=local`) map to everything the
// pipeline derives from them: the Terraform environment, its state key and
// tfvars file, the AWS account and region it must run in, and the names of
// the resources in it.
//
// `local` is the whole pipeline without AWS (a laptop, a Codespace, a pull
// request): the app and its two Neo4j databases run as Dagger services. It
// has no account, no tfvars and no Terraform state; functions that need AWS
// refuse it with RequireAWS's message.
//
// The AWS account ID and region are not written here: they live in the
// environment's tfvars file (`aws_account_id`, `aws_region`), which Terraform
// also enforces through the provider's allowed_account_ids. Load reads them,
// so a change of account is made in exactly one file.
package envs

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Environment is one deployment target of credex-core.
type Environment struct {
	// Name is what users type: "stage" or "prod".
	Name string `json:"name"`
	// TerraformEnv is the long name used by Terraform, NODE_ENV and resource
	// names: "staging" or "production".
	TerraformEnv string `json:"terraformEnv"`
	// StateKey is the S3 key of this environment's Terraform state.
	StateKey string `json:"stateKey"`
	// RegistryStateKey is the S3 key of the state of the environment's
	// registry stack (terraform/registry, the ECR repository), applied before
	// the first image push.
	RegistryStateKey string `json:"registryStateKey"`
	// TFVarsFile is the tfvars file, relative to the terraform/ directory.
	TFVarsFile string `json:"tfvarsFile"`
	// Neo4jSecretName is the Secrets Manager secret credex-core reads the
	// Neo4j connection details from at run time.
	Neo4jSecretName string `json:"neo4jSecretName"`
	// Protected environments ask for more care: destroying anything there is
	// refused, and verification thresholds are strict.
	Protected bool `json:"protected"`
	// Local marks the environment without AWS: services on the Dagger
	// engine instead of ECS, databases started per run, no account.
	Local bool `json:"local,omitempty"`

	// AccountID and Region come from the tfvars file (see Load).
	AccountID string `json:"accountId,omitempty"`
	Region    string `json:"region,omitempty"`
	// ContainerPort is the port the app listens on (its PORT; the load
	// balancer's target port) and HealthCheckPath what the load balancer
	// requests: the tfvars' container_port and health_check_path, or the
	// stack's defaults (DefaultContainerPort, DefaultHealthCheckPath).
	ContainerPort   int    `json:"containerPort,omitempty"`
	HealthCheckPath string `json:"healthCheckPath,omitempty"`
}

// Defaults of the stack's variables (terraform/variables.tf) that a tfvars
// file may leave out.
const (
	// DefaultRegion is where credex-core runs.
	DefaultRegion = "af-south-1"
	// DefaultContainerPort is the port credex-core listens on.
	DefaultContainerPort = 5000
	// DefaultHealthCheckPath is what the load balancer requests.
	DefaultHealthCheckPath = "/health"
)

var all = []Environment{
	{
		Name:             "stage",
		TerraformEnv:     "staging",
		StateKey:         "credex-core/staging/terraform.tfstate",
		RegistryStateKey: "credex-core/staging/registry.tfstate",
		TFVarsFile:       "environments/staging.tfvars",
		Neo4jSecretName:  "neo4j_stage_secrets",
	},
	{
		Name:             "prod",
		TerraformEnv:     "production",
		StateKey:         "credex-core/production/terraform.tfstate",
		RegistryStateKey: "credex-core/production/registry.tfstate",
		TFVarsFile:       "environments/production.tfvars",
		Neo4jSecretName:  "neo4j_prod_secrets",
		Protected:        true,
	},
	{
		Name:         "local",
		TerraformEnv: "local",
		Local:        true,
		// No tfvars: credex-core's own port and path.
		ContainerPort:   DefaultContainerPort,
		HealthCheckPath: DefaultHealthCheckPath,
	},
}

// Names lists the environment names users can type, in a stable order.
func Names() []string {
	names := make([]string, 0, len(all))
	for _, e := range all {
		names = append(names, e.Name)
	}
	return names
}

// AWSNames lists the environments that run in AWS (every one but local):
// those with a tfvars file, an account and a Terraform state.
func AWSNames() []string {
	var names []string
	for _, e := range all {
		if !e.Local {
			names = append(names, e.Name)
		}
	}
	return names
}

// ErrUnknown is returned (wrapped) by Lookup for a name it does not know.
var ErrUnknown = errors.New("unknown environment")

// ErrNoAWS is returned (wrapped) when an environment without AWS (local) is
// given to something that needs an AWS account.
var ErrNoAWS = errors.New("local has no AWS")

// RequireAWS refuses the local environment, naming what works instead; nil
// for an environment in AWS.
func (e Environment) RequireAWS() error {
	if !e.Local {
		return nil
	}
	return fmt.Errorf("%w: it has no account, tfvars or Terraform state, so registry, publish, plan, apply, drift, verify and rollback "+
		"work only on --env=%s; to run credex-core on this machine, use `dagger call deploy --env=local` (or `dagger call up --env=local`)",
		ErrNoAWS, strings.Join(AWSNames(), " or --env="))
}

// Lookup returns the environment a user named. The long Terraform names
// ("staging", "production") are accepted too, and case is ignored.
func Lookup(name string) (Environment, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" {
		return Environment{}, fmt.Errorf("%w: no environment given; pass --env=%s", ErrUnknown, strings.Join(Names(), " or --env="))
	}
	for _, e := range all {
		if n == e.Name || n == e.TerraformEnv {
			return e, nil
		}
	}
	return Environment{}, fmt.Errorf("%w %q: use --env=%s", ErrUnknown, name, strings.Join(Names(), " or --env="))
}

// LookupAWS is Lookup for callers that need AWS: it refuses local with
// RequireAWS's message.
func LookupAWS(name string) (Environment, error) {
	e, err := Lookup(name)
	if err != nil {
		return e, err
	}
	return e, e.RequireAWS()
}

// Resource names. credex-core's own scripts rely on these (suffixed per
// environment so staging and production can share one AWS account).

// ClusterName is the ECS cluster, e.g. "credex-cluster-staging".
func (e Environment) ClusterName() string { return "credex-cluster-" + e.TerraformEnv }

// ServiceName is the ECS service, e.g. "credex-core-service-staging".
func (e Environment) ServiceName() string { return "credex-core-service-" + e.TerraformEnv }

// TaskFamily is the ECS task definition family, e.g. "credex-core-staging".
func (e Environment) TaskFamily() string { return "credex-core-" + e.TerraformEnv }

// ContainerName is the application container in the task definition.
func (e Environment) ContainerName() string { return "credex-core" }

// LogGroupName is the CloudWatch log group, e.g. "/ecs/credex-core-staging".
// Streams are prefixed "ecs" (LogStreamPrefix).
func (e Environment) LogGroupName() string { return "/ecs/credex-core-" + e.TerraformEnv }

// LogStreamPrefix is the awslogs stream prefix of the application container.
const LogStreamPrefix = "ecs"

// RepositoryName is the ECR repository the registry stack creates, e.g.
// "credex-core-staging".
func (e Environment) RepositoryName() string { return "credex-core-" + e.TerraformEnv }

// AppSecretName is the Secrets Manager secret holding JWT_SECRET,
// WHATSAPP_BOT_API_KEY and OPEN_EXCHANGE_RATES_API, e.g.
// "credex-core-staging-app". Its values are set outside Terraform.
func (e Environment) AppSecretName() string { return "credex-core-" + e.TerraformEnv + "-app" }

// DefaultStateBucket is the S3 bucket holding the Terraform state when the
// pipeline is not told otherwise: "credex-terraform-state-<account id>", the
// name terraform/bootstrap gives it. It needs AccountID (see Load).
func (e Environment) DefaultStateBucket() string { return "credex-terraform-state-" + e.AccountID }

// Stacks of an environment: the main stack (terraform/) and the registry
// stack (terraform/registry, the ECR repository), each with its own state.
const (
	StackMain     = "."
	StackRegistry = "registry"
)

// TerraformInit is `terraform init` of one of the environment's stacks
// (StackMain or StackRegistry) with its S3 backend: the state in bucket
// (DefaultStateBucket unless the operator chose another) under the stack's
// key, which it returns too. pathStyle addresses the bucket by path, as an AWS endpoint reached by
// a host name (an emulator, the test bed) needs: tried on a Dagger engine,
// only the backend's own use_path_style does this (not
// AWS_S3_USE_PATH_STYLE).
func (e Environment) TerraformInit(stack, bucket string, pathStyle bool) (args []string, key string) {
	key = e.StateKey
	if stack == StackRegistry {
		key = e.RegistryStateKey
	}
	args = []string{"terraform", "init", "-input=false",
		"-backend-config=bucket=" + bucket,
		"-backend-config=key=" + key,
		"-backend-config=region=" + e.Region}
	if pathStyle {
		args = append(args, "-backend-config=use_path_style=true")
	}
	return args, key
}

// NodeEnv is the NODE_ENV the application runs with: the Terraform
// environment's name in AWS (as the task definition sets it), and
// "development" locally, the value Node tooling expects on a developer's
// machine.
func (e Environment) NodeEnv() string {
	if e.Local {
		return "development"
	}
	return e.TerraformEnv
}

var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

// Load looks the environment up and fills AccountID and Region from its
// tfvars file, read from terraformDir (the repository's terraform/
// directory). It fails, naming the file and the variable to set, when the
// account ID is missing or malformed, and refuses local (RequireAWS).
func Load(terraformDir fs.FS, name string) (Environment, error) {
	e, err := LookupAWS(name)
	if err != nil {
		return e, err
	}
	src, err := fs.ReadFile(terraformDir, e.TFVarsFile)
	if err != nil {
		return e, fmt.Errorf("environment %s: reading terraform/%s: %w", e.Name, e.TFVarsFile, err)
	}
	return FromTFVars(name, src)
}

// FromTFVars is Load for a caller that already holds the contents of the
// environment's tfvars file (terraform/<TFVarsFile>), e.g. read from a Dagger
// directory.
func FromTFVars(name string, src []byte) (Environment, error) {
	e, err := LookupAWS(name)
	if err != nil {
		return e, err
	}
	vars, err := ReadTFVars(src, e.TFVarsFile)
	if err != nil {
		return e, fmt.Errorf("environment %s: %w", e.Name, err)
	}
	e.AccountID = vars["aws_account_id"]
	e.Region = vars["aws_region"]
	if e.Region == "" {
		e.Region = DefaultRegion
	}
	if !accountIDPattern.MatchString(e.AccountID) {
		return e, fmt.Errorf("environment %s: terraform/%s must set aws_account_id to the 12-digit AWS account ID %s deploys to (found %q)", e.Name, e.TFVarsFile, e.TerraformEnv, e.AccountID)
	}
	e.ContainerPort, e.HealthCheckPath = DefaultContainerPort, DefaultHealthCheckPath
	if p, ok := vars["container_port"]; ok {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return e, fmt.Errorf("environment %s: terraform/%s sets container_port = %s: set it to the TCP port the app listens on (1-65535), e.g. %d", e.Name, e.TFVarsFile, p, DefaultContainerPort)
		}
		e.ContainerPort = n
	}
	if p, ok := vars["health_check_path"]; ok {
		if !strings.HasPrefix(p, "/") {
			return e, fmt.Errorf("environment %s: terraform/%s sets health_check_path = %q: set it to a path starting with /, e.g. %q", e.Name, e.TFVarsFile, p, DefaultHealthCheckPath)
		}
		e.HealthCheckPath = p
	}
	return e, nil
}

// ReadTFVars parses a tfvars file and returns its top-level string, number
// and bool assignments as strings. Other values (lists, maps) are skipped:
// the pipeline reads only scalars.
func ReadTFVars(src []byte, filename string) (map[string]string, error) {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("parsing %s: %s", filename, diags.Error())
	}
	attrs, diags := file.Body.JustAttributes()
	if diags.HasErrors() {
		return nil, fmt.Errorf("parsing %s: %s", filename, diags.Error())
	}
	out := make(map[string]string, len(attrs))
	for n, attr := range attrs {
		v, diags := attr.Expr.Value(nil)
		if diags.HasErrors() || v.IsNull() || !v.IsKnown() || !v.Type().IsPrimitiveType() {
			continue
		}
		switch {
		case v.Type().FriendlyName() == "string":
			out[n] = v.AsString()
		case v.Type().FriendlyName() == "number":
			out[n] = v.AsBigFloat().Text('f', -1)
		case v.Type().FriendlyName() == "bool":
			out[n] = fmt.Sprint(v.True())
		}
	}
	return out, nil
}
