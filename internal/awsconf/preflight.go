package awsconf

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/great-sun-group/credex-ci/internal/envs"
)

// Identity is who the credentials are, as STS reports it.
type Identity struct {
	Account string `json:"account"`
	ARN     string `json:"arn"`
	UserID  string `json:"userId"`
	// Source names the credential provider (e.g. "StaticCredentials",
	// "SharedConfigCredentials: default"), never the credentials.
	Source string `json:"source"`
	Region string `json:"region"`
}

// ErrWrongAccount is returned (wrapped) when the credentials belong to an
// account other than the environment's.
var ErrWrongAccount = errors.New("wrong AWS account")

// Preflight resolves the credentials, asks STS GetCallerIdentity who they
// are, and refuses unless the account is env.AccountID. Nothing else should
// talk to AWS before it passes.
func Preflight(ctx context.Context, cfg aws.Config, env envs.Environment) (*Identity, error) {
	if cfg.Credentials == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoCredentials, HowToProvideCredentials)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w (%v): %s", ErrNoCredentials, err, HowToProvideCredentials)
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("asking who the credentials from %s are: %w; check the credentials are valid and not expired, or %s",
			describeSource(creds.Source), Concise(err), HowToProvideCredentials)
	}
	id := &Identity{
		Account: aws.ToString(out.Account),
		ARN:     aws.ToString(out.Arn),
		UserID:  aws.ToString(out.UserId),
		Source:  creds.Source,
		Region:  cfg.Region,
	}
	if env.AccountID != "" && id.Account != env.AccountID {
		return id, fmt.Errorf("%w: the credentials (%s, from %s) are for AWS account %s, but %s deploys to account %s (aws_account_id in terraform/%s); "+
			"use credentials of account %s: set AWS_PROFILE to a profile of that account, or assume its deploy role, and run again",
			ErrWrongAccount, id.ARN, describeSource(id.Source), id.Account, env.TerraformEnv, env.AccountID, env.TFVarsFile, env.AccountID)
	}
	return id, nil
}
