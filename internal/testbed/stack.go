package testbed

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/great-sun-group/credex-ci/internal/envs"
)

// The test bed's Terraform stack lives in internal/testbed/stack: the
// credex-core stack cut down to what the bed can apply (the ECS cluster,
// task definition and service, target group, log group and the ECR look-up),
// laid out as terraform/ is (environments/<env>.tfvars naming the bed's
// account, registry/), honouring the outputs contract, so the pipeline's
// plan, apply, deploy and verify run against the bed with
// --terraform=internal/testbed/stack.

// StateBucket is the bucket the pipeline keeps the bed's Terraform state in
// by default: credex-terraform-state-<account id>, as terraform/bootstrap
// names it.
const StateBucket = "credex-terraform-state-" + AccountID

// CreateStateBucket creates StateBucket in the bed's S3, as bootstrapping
// an account does (terraform/bootstrap); one that exists is kept.
func (b *Bed) CreateStateBucket(ctx context.Context) error {
	client := s3.NewFromConfig(b.Config(), func(o *s3.Options) { o.UsePathStyle = true })
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket:                    aws.String(StateBucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(b.Region)},
	})
	var owned *s3types.BucketAlreadyOwnedByYou
	var exists *s3types.BucketAlreadyExists
	if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
		return fmt.Errorf("test bed: creating the state bucket %s: %w", StateBucket, err)
	}
	return nil
}

// ResetStack readies the bed for a first apply of env's stacks: the state
// bucket exists (CreateStateBucket), and nothing an earlier apply in this
// process left is there. kumo keeps its state process-wide, shared by every
// bed: the ECR repository, the log group and both stacks' states would
// otherwise outlive the bed that made them.
func (b *Bed) ResetStack(ctx context.Context, env envs.Environment) error {
	if err := b.CreateStateBucket(ctx); err != nil {
		return err
	}
	_, err := ecr.NewFromConfig(b.Config()).DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String(env.RepositoryName()), Force: true})
	var noRepository *ecrtypes.RepositoryNotFoundException
	if err != nil && !errors.As(err, &noRepository) {
		return fmt.Errorf("test bed: deleting the repository %s: %w", env.RepositoryName(), err)
	}
	_, err = b.Logs().DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(env.LogGroupName())})
	var noGroup *logtypes.ResourceNotFoundException
	if err != nil && !errors.As(err, &noGroup) {
		return fmt.Errorf("test bed: deleting the log group %s: %w", env.LogGroupName(), err)
	}
	state := s3.NewFromConfig(b.Config(), func(o *s3.Options) { o.UsePathStyle = true })
	for _, key := range []string{env.StateKey, env.RegistryStateKey} {
		if _, err := state.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(StateBucket), Key: aws.String(key)}); err != nil {
			return fmt.Errorf("test bed: deleting the state s3://%s/%s: %w", StateBucket, key, err)
		}
	}
	return nil
}
