package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	"github.com/great-sun-group/credex-ci/ci/internal/dagger"
	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/tfoutputs"
	"github.com/great-sun-group/credex-ci/internal/tfplan"
	"github.com/great-sun-group/credex-ci/internal/tfpolicy"
)

// terraformPluginCache is the cache volume Terraform keeps providers in.
const terraformPluginCache = "credex-ci-terraform-plugins"

// TerraformPlan is a saved Terraform plan of one environment, checked not to
// destroy any database, with a readable summary.
type TerraformPlan struct {
	// Environment the plan is for (stage or prod).
	Env string
	// The saved plan: pass it to apply. It holds the prior state (no
	// passwords: those are write-only), so keep it as private as the state.
	File *dagger.File
	// Summary of the changes as a Markdown table.
	Markdown string
	// Summary of the changes as text.
	Text string
}

// Plan the Terraform stack of an environment and return the saved plan with
// a summary. Fails, before returning a plan, if the plan would destroy or
// replace a database, its volumes, secrets or backups.
// +cache="never"
func (m *CredexCi) Plan(
	ctx context.Context,
	// Environment: stage or prod.
	env string,
	// Image to deploy, pinned by digest (<repository>@sha256:<digest>).
	// Defaults to the image deployed now (an infrastructure-only change);
	// required on an environment's first deploy.
	// +optional
	image string,
	// S3 bucket holding the Terraform state; defaults to
	// credex-terraform-state-<account id> (terraform/bootstrap).
	// +optional
	stateBucket string,
) (_ *TerraformPlan, err error) {
	defer keepMessage(&err)
	if image != "" {
		if err := tfplan.CheckImage(image); err != nil {
			return nil, err
		}
	}
	e, tf, err := m.terraformInit(ctx, env, envs.StackMain, stateBucket)
	if err != nil {
		return nil, err
	}
	if image == "" {
		if image, err = deployedImage(ctx, tf, "plan without --image"); err != nil {
			return nil, err
		}
	}
	planned, s, err := planImage(ctx, e, tf, image)
	if err != nil {
		return nil, err
	}
	return &TerraformPlan{Env: e.Name, File: planned.File("/work/tfplan"), Markdown: s.Markdown(), Text: s.Text()}, nil
}

// planImage plans an initialised stack with image deployed and returns the
// container holding the saved plan at /work/tfplan, checked not to destroy
// any database, and its summary.
func planImage(ctx context.Context, e envs.Environment, tf *dagger.Container, image string) (*dagger.Container, tfplan.Summary, error) {
	tf, p, err := savedPlan(ctx, tf, "terraform plan of "+e.TerraformEnv, "-var-file="+e.TFVarsFile, "-var=image="+image)
	if err != nil {
		return nil, tfplan.Summary{}, err
	}
	return tf, tfplan.Summarize(p), nil
}

// savedPlan runs `terraform plan` with vars in an initialised stack, saving
// the plan at /work/tfplan, and reads it back, refusing a plan that would
// destroy or replace data (tfplan.GuardData). Nothing is changed in AWS
// either way; what names the plan in an error.
func savedPlan(ctx context.Context, tf *dagger.Container, what string, vars ...string) (*dagger.Container, *tfplan.Plan, error) {
	tf = tf.WithExec(append([]string{"terraform", "plan", "-input=false", "-out=/work/tfplan"}, vars...))
	p, err := showPlan(ctx, tf, "/work/tfplan")
	if err != nil {
		return nil, nil, nothingChanged(execFailure(what, err))
	}
	if err := tfplan.GuardData(p); err != nil {
		return nil, nil, nothingChanged(err)
	}
	return tf, p, nil
}

// Apply exactly a saved plan (from plan) to an environment. The plan is
// checked again first: made for this environment and account, and not
// destroying any database.
// +cache="never"
func (m *CredexCi) Apply(
	ctx context.Context,
	// Environment: stage or prod; must be the one the plan was made for.
	env string,
	// The saved plan (plan's file).
	plan *dagger.File,
	// S3 bucket holding the Terraform state; defaults to
	// credex-terraform-state-<account id>.
	// +optional
	stateBucket string,
) (_ string, err error) {
	defer keepMessage(&err)
	e, tf, err := m.terraformInit(ctx, env, envs.StackMain, stateBucket)
	if err != nil {
		return "", err
	}
	applied, err := applyPlan(ctx, e, tf.WithFile("/work/tfplan", plan))
	if err != nil {
		return "", err
	}
	return applied.Stdout(ctx)
}

// applyPlan applies the saved plan at /work/tfplan of an initialised stack,
// after checking it again (made for this environment and account, not
// destroying any database), and returns the applied container.
func applyPlan(ctx context.Context, e envs.Environment, tf *dagger.Container) (*dagger.Container, error) {
	p, err := showPlan(ctx, tf, "/work/tfplan")
	if err != nil {
		return nil, nothingChanged(execFailure("reading the saved plan (is it a plan of this stack, made with the same providers?)", err))
	}
	if err := p.CheckFor(e.TerraformEnv, e.AccountID); err != nil {
		return nil, nothingChanged(err)
	}
	if err := tfplan.GuardData(p); err != nil {
		return nil, nothingChanged(err)
	}
	applied := tf.WithExec([]string{"terraform", "apply", "-input=false", "/work/tfplan"})
	if _, err := applied.Sync(ctx); err != nil {
		return nil, applyFailed("terraform apply of "+e.TerraformEnv, err)
	}
	return applied, nil
}

// Drift reports whether AWS still matches an environment's stack: plans with
// the deployed image and -detailed-exitcode, and fails listing the drifted
// resources when it does not.
// +cache="never"
func (m *CredexCi) Drift(
	ctx context.Context,
	// Environment: stage or prod.
	env string,
	// Image the environment runs, pinned by digest; defaults to the stack's
	// image output (the image of the last apply).
	// +optional
	image string,
	// S3 bucket holding the Terraform state; defaults to
	// credex-terraform-state-<account id>.
	// +optional
	stateBucket string,
) (_ string, err error) {
	defer keepMessage(&err)
	if image != "" {
		if err := tfplan.CheckImage(image); err != nil {
			return "", err
		}
	}
	e, tf, err := m.terraformInit(ctx, env, envs.StackMain, stateBucket)
	if err != nil {
		return "", err
	}
	if image == "" {
		if image, err = deployedImage(ctx, tf, "drift without --image"); err != nil {
			return "", err
		}
	}
	tf = tf.WithExec([]string{"terraform", "plan", "-input=false", "-detailed-exitcode", "-var-file=" + e.TFVarsFile, "-var=image=" + image, "-out=/work/tfplan"},
		dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
	code, err := tf.ExitCode(ctx)
	if err != nil {
		return "", err
	}
	var drifted []byte
	var stderr string
	if code == 2 {
		if drifted, err = terraformJSON(ctx, tf, "show", "-json", "/work/tfplan"); err != nil {
			return "", execFailure("terraform show", err)
		}
	} else if code != 0 {
		stderr, _ = tf.Stderr(ctx)
	}
	d, err := tfplan.DetectDrift(code, drifted, stderr)
	if err != nil {
		return "", err
	}
	return d.Text(), d.Err()
}

// Registry applies an environment's registry stack (terraform/registry: the
// environment's KMS key and the ECR repository it encrypts) and returns the
// repository URL. Run it before the first
// build is pushed; it is a no-op once the repository exists.
// +cache="never"
func (m *CredexCi) Registry(
	ctx context.Context,
	// Environment: stage or prod.
	env string,
	// S3 bucket holding the Terraform state; defaults to
	// credex-terraform-state-<account id>.
	// +optional
	stateBucket string,
) (_ string, err error) {
	defer keepMessage(&err)
	e, tf, err := m.terraformInit(ctx, env, envs.StackRegistry, stateBucket)
	if err != nil {
		return "", err
	}
	tf, _, err = savedPlan(ctx, tf, "terraform plan of the "+e.TerraformEnv+" registry",
		"-var=aws_account_id="+e.AccountID, "-var=aws_region="+e.Region, "-var=environment="+e.TerraformEnv)
	if err != nil {
		return "", err
	}
	tf = tf.WithExec([]string{"terraform", "apply", "-input=false", "/work/tfplan"})
	if _, err := tf.Sync(ctx); err != nil {
		return "", applyFailed("terraform apply of the "+e.TerraformEnv+" registry", err)
	}
	js, err := outputJSON(ctx, tf)
	if err != nil {
		return "", fmt.Errorf("the %s registry was applied, but reading its outputs failed; run registry again (a no-op now): %w", e.TerraformEnv, err)
	}
	r, err := tfoutputs.ParseRegistry(js)
	if err != nil {
		return "", fmt.Errorf("the %s registry was applied, but %w", e.TerraformEnv, err)
	}
	return r.RepositoryURL, nil
}

// TerraformPolicy checks the Terraform stack's policies (circuit breaker,
// secrets only through Secrets Manager, protected and encrypted data, KMS
// keys, database ingress, Bolt over TLS, digest-pinned image, documented
// variables, complete tfvars; in production HTTPS, alarm subscribers, a NAT
// gateway per zone, backups in another region) without AWS or providers.
// +check
func (m *CredexCi) TerraformPolicy(ctx context.Context) (err error) {
	defer keepMessage(&err)
	dir, err := os.MkdirTemp("", "credex-ci-terraform")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if _, err := m.Terraform.Export(ctx, dir); err != nil {
		return err
	}
	vs, err := tfpolicy.Check(dir)
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		return nil
	}
	lines := make([]string, len(vs))
	for i, v := range vs {
		lines[i] = "terraform/" + v.String()
	}
	return fmt.Errorf("the Terraform stack breaks %d polic(ies):\n%s", len(vs), strings.Join(lines, "\n"))
}

// terraformInit resolves the environment and returns a Terraform container
// for one stack (envs.StackMain or envs.StackRegistry) with its state
// backend initialised (path-style against an --aws-endpoint: an emulator
// reached by a host name serves buckets by path).
func (m *CredexCi) terraformInit(ctx context.Context, env, stack, stateBucket string) (envs.Environment, *dagger.Container, error) {
	e, err := m.loadEnv(ctx, env)
	if err != nil {
		return e, nil, err
	}
	// The credentials are read before Terraform runs with them, so one that
	// cannot be read is named here rather than failing its exec.
	if _, err := m.staticCredentials(ctx); err != nil {
		return e, nil, nothingChanged(err)
	}
	ep, err := m.endpoint(ctx)
	if err != nil {
		return e, nil, err
	}
	if stateBucket == "" {
		stateBucket = e.DefaultStateBucket()
	}
	initArgs, key := e.TerraformInit(stack, stateBucket, ep.Set())
	tf := dag.Container().From(m.TerraformImage).
		WithMountedCache("/terraform-plugins", dag.CacheVolume(terraformPluginCache)).
		WithEnvVariable("TF_PLUGIN_CACHE_DIR", "/terraform-plugins").
		WithEnvVariable("TF_IN_AUTOMATION", "1").
		WithEnvVariable("TF_INPUT", "0").
		WithDirectory("/terraform", m.Terraform).
		WithDirectory("/work", dag.Directory()).
		WithWorkdir(path.Join("/terraform", stack))
	tf = m.withAWS(tf, e.Region, ep).
		// AWS state changes between runs: never reuse a cached result.
		WithEnvVariable("CREDEX_CI_RUN", time.Now().UTC().Format(time.RFC3339Nano)).
		WithExec(initArgs)
	if _, err := tf.Sync(ctx); err != nil {
		return e, nil, nothingChanged(execFailure(fmt.Sprintf("terraform init of %s (state s3://%s/%s; create the bucket with terraform/bootstrap or pass --state-bucket)", e.TerraformEnv, stateBucket, key), err))
	}
	return e, tf, nil
}

// applyFailed explains a failed apply of a saved plan from its output:
// nothing applied (a stale plan, or a stop before any change) or stopped
// part-way, naming what was changed.
func applyFailed(what string, err error) error {
	var output string
	var exec *dagger.ExecError
	if errors.As(err, &exec) {
		output = exec.Stdout + "\n" + exec.Stderr
	}
	return fmt.Errorf("%w\n%s", execFailure(what, err), tfplan.ReadApplyFailure(output).Explain())
}

// nothingChanged marks an error raised before Terraform changed anything.
func nothingChanged(err error) error {
	return fmt.Errorf("%w\nNothing was changed in AWS.", err)
}

// showPlan reads a saved plan as JSON.
func showPlan(ctx context.Context, tf *dagger.Container, planFile string) (*tfplan.Plan, error) {
	js, err := terraformJSON(ctx, tf, "show", "-json", planFile)
	if err != nil {
		return nil, err
	}
	return tfplan.Parse(js)
}

// terraformJSON runs a terraform command that prints JSON (show -json,
// output -json) and returns what it printed. That JSON can hold sensitive
// values (a plan's prior state; an output marked sensitive, which output
// -json prints in the clear), so the exec's own shell writes it to a file:
// Dagger copies an exec's stdout into its progress output, traces and
// telemetry even with RedirectStdout, but never what a shell redirects.
func terraformJSON(ctx context.Context, tf *dagger.Container, args ...string) ([]byte, error) {
	js, err := tf.WithExec(append([]string{"sh", "-c", `terraform "$@" > /work/terraform.json`, "sh"}, args...)).
		File("/work/terraform.json").Contents(ctx)
	if err != nil {
		return nil, err
	}
	return []byte(js), nil
}

// terraformOutputs reads an environment's stack outputs (the contract in
// docs/terraform.md), requiring only those the caller needs.
func (m *CredexCi) terraformOutputs(ctx context.Context, env, stateBucket string, need tfoutputs.Need) (tfoutputs.Outputs, error) {
	_, tf, err := m.terraformInit(ctx, env, envs.StackMain, stateBucket)
	if err != nil {
		return tfoutputs.Outputs{}, err
	}
	return stackOutputs(ctx, tf, need)
}

// outputJSON is `terraform output -json` of an initialised stack.
func outputJSON(ctx context.Context, tf *dagger.Container) ([]byte, error) {
	js, err := terraformJSON(ctx, tf, "output", "-json")
	if err != nil {
		return nil, execFailure("terraform output", err)
	}
	return js, nil
}

// stackOutputs are the outputs of an initialised stack that need requires.
func stackOutputs(ctx context.Context, tf *dagger.Container, need tfoutputs.Need) (tfoutputs.Outputs, error) {
	js, err := outputJSON(ctx, tf)
	if err != nil {
		return tfoutputs.Outputs{}, err
	}
	return tfoutputs.ParseFor(js, need)
}

// deployedImage is the image of the environment's last apply (the stack's
// image output); caller is the function asking, for the message.
func deployedImage(ctx context.Context, tf *dagger.Container, caller string) (string, error) {
	o, err := stackOutputs(ctx, tf, tfoutputs.DeployedImage(caller))
	if err != nil {
		return "", err
	}
	return o.Image, nil
}
