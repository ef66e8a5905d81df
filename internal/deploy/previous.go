package deploy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/great-sun-group/credex-ci/internal/awsconf"
	"github.com/great-sun-group/credex-ci/internal/tfplan"
)

// TaskDefinitions is the part of the ECS API PreviousImage reads (the SDK's
// *ecs.Client).
type TaskDefinitions interface {
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// lookBack bounds how many revisions PreviousImage reads.
const lookBack = 50

// PreviousImage finds the image to roll back to when no deploy says which:
// the container's image in the most recent revision of the task
// definition's family, before taskDefinition (the one the stack deployed
// last), whose image differs from the current one. Revisions Terraform
// deregistered when it replaced them (INACTIVE) still count; deleted ones
// are passed over. It returns the image and the revision it came from
// (family:revision).
//
// Like `git checkout -`, running a rollback twice returns to where it
// started: the rollback's own revision becomes the newest. Pass an explicit
// image to go further back.
func PreviousImage(ctx context.Context, ecsAPI TaskDefinitions, taskDefinition, container string) (image, from string, err error) {
	cur, err := describe(ctx, ecsAPI, taskDefinition)
	if err != nil {
		return "", "", fmt.Errorf("reading the deployed task definition %s: %w; or pass --image=<repository>@sha256:<digest> to name the image", taskDefinition, awsconf.Concise(err))
	}
	current, err := containerImage(cur, container)
	if err != nil {
		return "", "", err
	}
	family, revision := aws.ToString(cur.Family), int(cur.Revision)
	for rev := revision - 1; rev >= 1 && rev >= revision-lookBack; rev-- {
		td, err := describe(ctx, ecsAPI, family+":"+strconv.Itoa(rev))
		var api smithy.APIError
		if errors.As(err, &api) && api.ErrorCode() == "ClientException" {
			continue // deleted
		}
		if err != nil {
			return "", "", fmt.Errorf("reading task definition %s:%d: %w; or pass --image=<repository>@sha256:<digest> to name the image", family, rev, awsconf.Concise(err))
		}
		img, err := containerImage(td, container)
		if err != nil || img == current {
			continue
		}
		from = fmt.Sprintf("%s:%d", family, rev)
		if !tfplan.Pinned(img) {
			return "", "", fmt.Errorf("the previous image, %s (task definition %s), is not pinned by digest, which the stack requires: pass --image=<repository>@sha256:<digest>", img, from)
		}
		return img, from, nil
	}
	return "", "", fmt.Errorf("no earlier revision of %s (back to revision %d) ran another image than %s: there is nothing to roll back to; pass --image=<repository>@sha256:<digest> to deploy a given image",
		family, max(1, revision-lookBack), current)
}

func describe(ctx context.Context, ecsAPI TaskDefinitions, ref string) (*ecstypes.TaskDefinition, error) {
	out, err := ecsAPI.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
	if err != nil {
		return nil, err
	}
	if out.TaskDefinition == nil {
		return nil, errors.New("ECS returned no task definition")
	}
	return out.TaskDefinition, nil
}

func containerImage(td *ecstypes.TaskDefinition, container string) (string, error) {
	var names []string
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) == container {
			return aws.ToString(c.Image), nil
		}
		names = append(names, aws.ToString(c.Name))
	}
	return "", fmt.Errorf("task definition %s:%d has no container %q (it has %s)", aws.ToString(td.Family), td.Revision, container, strings.Join(names, ", "))
}
