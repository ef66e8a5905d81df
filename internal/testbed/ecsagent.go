package testbed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/great-sun-group/credex-ci/internal/ecssim"
)

// onTask does in kumo what ECS and the awslogs driver do when a task
// changes state: register a running task's IP in the service's target
// groups, deregister a stopped one (the bed's load balancer then reports
// it draining for the deregistration delay, see targethealth.go), and
// write a stopped task's log lines.
func (b *Bed) onTask(ev ecssim.TaskEvent) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	elbClient := b.ELB()
	for _, lb := range ev.LoadBalancers {
		target := []elbtypes.TargetDescription{{Id: aws.String(ev.PrivateIP), Port: aws.Int32(lb.ContainerPort)}}
		var err error
		if ev.Running {
			_, err = elbClient.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(lb.TargetGroupARN), Targets: target})
		} else {
			_, err = elbClient.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(lb.TargetGroupARN), Targets: target})
		}
		if err != nil {
			b.recordHookErr(fmt.Errorf("test bed: updating target group %s for task %s: %w", lb.TargetGroupARN, ev.TaskID, err))
			continue
		}
		if ev.Running {
			b.targetRegistered(lb.TargetGroupARN, ev.PrivateIP, int(lb.ContainerPort), ev.At)
		} else {
			b.targetDeregistered(lb.TargetGroupARN, ev.PrivateIP, int(lb.ContainerPort), ev.At)
		}
	}
	if len(ev.LogLines) > 0 && ev.LogGroup != "" && ev.LogStream != "" {
		b.recordHookErr(b.writeLogs(ctx, ev))
	}
}

func (b *Bed) writeLogs(ctx context.Context, ev ecssim.TaskEvent) error {
	logs := b.Logs()
	_, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(ev.LogGroup), LogStreamName: aws.String(ev.LogStream)})
	var exists *logtypes.ResourceAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("test bed: creating log stream %s in %s: %w", ev.LogStream, ev.LogGroup, err)
	}
	// The lines were written over the task's short life, one ms apart.
	start := ev.At.Add(-time.Duration(len(ev.LogLines)) * time.Millisecond)
	events := make([]logtypes.InputLogEvent, len(ev.LogLines))
	for i, line := range ev.LogLines {
		events[i] = logtypes.InputLogEvent{Message: aws.String(line), Timestamp: aws.Int64(start.Add(time.Duration(i) * time.Millisecond).UnixMilli())}
	}
	_, err = logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(ev.LogGroup), LogStreamName: aws.String(ev.LogStream), LogEvents: events})
	if err != nil {
		return fmt.Errorf("test bed: writing the logs of task %s: %w", ev.TaskID, err)
	}
	return nil
}
