// credex-ci is the delivery pipeline of credex-core as one Dagger module: it
// builds the image, runs the tests, plans and applies the Terraform stack and
// verifies the deployment, identically on a laptop, in Codespaces and in CI.
//
// The main command is deploy; the other functions are its steps, each
// runnable alone, listed in the order the pipeline runs them:
//
//	deploy            the whole graph, one call per environment              deploy.go
//	                  (internal/deploy): a failing stage cancels the rest;
//	                  prod needs --confirm=prod; returns the summary
//	                    preflight ─┬─ test ───────────┐
//	                               ├─ build ──────────┼─ publish ─┐
//	                               ├─ registry ───────┘           │
//	                               └─ terraform init ─────────────┴─ plan ─ apply ─ verify ─(fails)─ rollback
//	lint              source and Dockerfile checks, npm run lint (a +check)  build.go
//	test              the app's tests in the Dockerfile's test stage         test.go
//	                  (--script, --test-env, --test-secrets, --databases)
//	build             the production image (Dockerfile target, linux/amd64)  build.go
//	registry          the environment's ECR repository (its own small stack) terraform.go
//	publish           push the image to ECR, tagged <git sha> and <env>;     publish.go
//	                  returns <repository>@sha256:<digest> (a no-op when the
//	                  revision is already there: tags are immutable)
//	plan              Terraform plan of an environment, with a summary       terraform.go
//	apply             apply exactly a saved plan                             terraform.go
//	verify            preflight, rollout, then status, health, integration   verify.go
//	                  tests and benchmark concurrently
//	rollback          the image before (or --image) through plan and         rollback.go
//	                  apply, then its rollout verified
//	drift             report drift between the stack and AWS                 terraform.go
//	terraform-policy  the stack's policies, without AWS (a +check)           terraform.go
//	up --env=local    the app and both Neo4j databases kept running on this  up.go
//	                  machine (no AWS), on host ports
//
// A first deploy is `deploy --env=stage` after the account's bootstrap
// (terraform/bootstrap): registry creates the repository on the way.
// deploy --env=local runs the whole pipeline without AWS: unit tests, image
// and both databases concurrently, the app as a Dagger service wired like the
// ECS task definition, then health, integration tests and benchmark (local.go).
//
// Logic lives in the plain Go packages of the root module (internal/...),
// which are unit-tested; the functions here only wire containers together.
package main

import (
	"github.com/great-sun-group/credex-ci/ci/internal/dagger"
)

// CredexCi holds the pipeline's configuration; its methods are the steps.
type CredexCi struct {
	// Application source: a credex-core-layout Node/TypeScript service.
	Source *dagger.Directory
	// The Terraform stack (terraform/ of this repository).
	Terraform *dagger.Directory
	// Dockerfile used when the source has none of its own.
	ReferenceDockerfile *dagger.File
	// Node base image, pinned by digest (Dockerfile ARG NODE_IMAGE).
	NodeImage string
	// Terraform image, pinned by digest.
	TerraformImage string
	// Neo4j image of the local environment's databases, pinned by digest.
	Neo4jImage string
	// AWS credentials, passed to containers only as secret variables; private,
	// so no `dagger call aws-secret-access-key plaintext` prints them.
	// +private
	AwsAccessKeyID *dagger.Secret
	// +private
	AwsSecretAccessKey *dagger.Secret
	// +private
	AwsSessionToken *dagger.Secret
	// AWS endpoint reached as a service (a test bed or emulator on the
	// user's machine); nil for real AWS.
	AwsEndpoint *dagger.Service
	// AWS endpoint on another machine (http(s) URL); empty for real AWS.
	AwsEndpointURL string
	// Registry standing in for ECR (a test bed's), as a service; nil pushes
	// to the ECR repository's own registry.
	RegistryService *dagger.Service
}

// Default images, pinned by digest. Override them with --node-image,
// --terraform-image and --neo4j-image to pull through a mirror or an
// internal registry.
const (
	defaultNodeImage      = "node:22-bookworm-slim@sha256:43ac6c60b8f89723f746e8a92ce91abd5017e627ce1ddfe4238355d3a30b772c"
	defaultTerraformImage = "hashicorp/terraform:1.11.4@sha256:5820b87995595425074f881500a037b0ccd41158d0d9b44d78f5f120612f2d3d"
	// The official Neo4j 5 LTS image (community), the digest public
	// repositories pin for that tag.
	defaultNeo4jImage = "neo4j:5.26.29-community@sha256:d9dd3dc7d1c78fa959191ff02dbdcbefadceaf83eee23428fb92a58cac8ad3fe"
)

func New(
	// Application source. Defaults to the repository root; pass
	// --source=examples/ledger-api to build the example service.
	// node_modules, local build output (dist/, credex-core's build/ at the
	// root: the Dockerfile compiles the service) and .env files never reach
	// the build context.
	// +defaultPath="/"
	// +ignore=[".git", "**/node_modules", "**/dist", "build", "**/dist-test", "**/coverage", "**/.terraform", "**/.env", "**/.env.*"]
	source *dagger.Directory,
	// The Terraform stack of this repository.
	// +defaultPath="/terraform"
	// +ignore=["**/.terraform", "**/*.tfplan", "**/*.tfstate*"]
	terraform *dagger.Directory,
	// Dockerfile used when the source has none.
	// +defaultPath="/Dockerfile"
	referenceDockerfile *dagger.File,
	// Node base image (name:tag@sha256:digest), for a mirror or internal registry.
	// +optional
	nodeImage string,
	// Terraform image (name:tag@sha256:digest), for a mirror or internal registry.
	// +optional
	terraformImage string,
	// Neo4j image of --env=local's databases (name:tag@sha256:digest), for a
	// mirror or internal registry.
	// +optional
	neo4jImage string,
	// AWS access key ID, e.g. env://AWS_ACCESS_KEY_ID.
	// +optional
	awsAccessKeyID *dagger.Secret,
	// AWS secret access key, e.g. env://AWS_SECRET_ACCESS_KEY.
	// +optional
	awsSecretAccessKey *dagger.Secret,
	// AWS session token (temporary credentials, OIDC), e.g. env://AWS_SESSION_TOKEN.
	// +optional
	awsSessionToken *dagger.Secret,
	// AWS endpoint on your machine, to run against a local test bed or
	// emulator instead of AWS, as a service: e.g. tcp://localhost:4566.
	// (Inside Dagger, 127.0.0.1 is the function's own container.)
	// +optional
	awsEndpoint *dagger.Service,
	// AWS endpoint on another machine, as an http(s) URL (e.g. a shared
	// emulator); for one on your machine use --aws-endpoint.
	// +optional
	awsEndpointURL string,
	// Container registry standing in for ECR's, on your machine, as a
	// service: e.g. tcp://localhost:5050 (credex-ci testbed prints it).
	// publish pushes there over plain HTTP, as localhost:PORT/<repository>;
	// the ECR API calls still go to AWS or --aws-endpoint.
	// +optional
	registry *dagger.Service,
) *CredexCi {
	if nodeImage == "" {
		nodeImage = defaultNodeImage
	}
	if terraformImage == "" {
		terraformImage = defaultTerraformImage
	}
	if neo4jImage == "" {
		neo4jImage = defaultNeo4jImage
	}
	return &CredexCi{
		// +ignore keeps these out of the upload, but a --source that came
		// from the .env beside dagger.json may bypass it: filter here too,
		// with the same list (source.ContextExclusions).
		Source:              buildContext(source),
		Terraform:           terraform,
		ReferenceDockerfile: referenceDockerfile,
		NodeImage:           nodeImage,
		TerraformImage:      terraformImage,
		Neo4jImage:          neo4jImage,
		AwsAccessKeyID:      awsAccessKeyID,
		AwsSecretAccessKey:  awsSecretAccessKey,
		AwsSessionToken:     awsSessionToken,
		AwsEndpoint:         awsEndpoint,
		AwsEndpointURL:      awsEndpointURL,
		RegistryService:     registry,
	}
}
