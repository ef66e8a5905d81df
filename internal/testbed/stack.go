package testbed

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
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
