package rollout

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/great-sun-group/credex-ci/internal/awsconf"
)

// readStopped finds the stopped tasks of our task definition not seen
// before (ECS keeps stopped tasks for about an hour), with their exit codes
// and, for the latest few, their last log lines. They are added to the
// result and returned, oldest first. Its errors name the call, not the
// stopped tasks: the caller says what could not be read.
func (st *watchState) readStopped(ctx context.Context) ([]StoppedTask, error) {
	w := st.w
	list, err := w.ECS.ListTasks(ctx, &ecs.ListTasksInput{
		Cluster: aws.String(w.Cluster), ServiceName: aws.String(w.Service),
		DesiredStatus: types.DesiredStatusStopped, MaxResults: aws.Int32(100),
	})
	if err != nil {
		return nil, fmt.Errorf("%w (the caller may lack ecs:ListTasks)", awsconf.Concise(err))
	}
	var arns []string
	for _, arn := range list.TaskArns {
		if !st.seenStopped[arn] {
			arns = append(arns, arn)
		}
	}
	if len(arns) == 0 {
		return nil, nil
	}
	out, err := w.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(w.Cluster), Tasks: arns})
	if err != nil {
		return nil, fmt.Errorf("%w (the caller may lack ecs:DescribeTasks)", awsconf.Concise(err))
	}
	var found []StoppedTask
	for _, t := range out.Tasks {
		if aws.ToString(t.LastStatus) != "STOPPED" {
			continue // still stopping: look again next time
		}
		st.seenStopped[aws.ToString(t.TaskArn)] = true
		if !sameTaskDef(aws.ToString(t.TaskDefinitionArn), w.TaskDefinition) {
			continue
		}
		found = append(found, stoppedTask(t))
	}
	sort.Slice(found, func(i, j int) bool { return found[i].StoppedAt.Before(found[j].StoppedAt) })
	for i := max(0, len(found)-maxLogTasks); i < len(found); i++ {
		st.readLogs(ctx, &found[i])
	}
	st.result.StoppedTasks = append(st.result.StoppedTasks, found...)
	return found, nil
}

func stoppedTask(t types.Task) StoppedTask {
	s := StoppedTask{
		ARN: aws.ToString(t.TaskArn), TaskDefinition: aws.ToString(t.TaskDefinitionArn),
		StoppedReason: aws.ToString(t.StoppedReason), StopCode: string(t.StopCode), StoppedAt: aws.ToTime(t.StoppedAt),
	}
	for _, c := range t.Containers {
		s.Containers = append(s.Containers, ContainerExit{Name: aws.ToString(c.Name), ExitCode: c.ExitCode, Reason: aws.ToString(c.Reason)})
	}
	return s
}

// logStream is the awslogs stream of a task's container:
// prefix/container/task-id.
func (st *watchState) logStream(taskARN string) string {
	w := st.w
	if w.LogStreamPrefix == "" || w.ContainerName == "" {
		return ""
	}
	return w.LogStreamPrefix + "/" + w.ContainerName + "/" + taskARN[strings.LastIndex(taskARN, "/")+1:]
}

// readLogs fills in a stopped task's last log lines; failing to read them
// is recorded, not fatal.
func (st *watchState) readLogs(ctx context.Context, t *StoppedTask) {
	w := st.w
	stream := st.logStream(t.ARN)
	if w.Logs == nil || w.LogGroup == "" || stream == "" {
		return
	}
	n := w.LogLines
	if n <= 0 {
		n = DefaultLogLines
	}
	out, err := w.Logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String(w.LogGroup), LogStreamName: aws.String(stream),
		Limit: aws.Int32(int32(n)), StartFromHead: aws.Bool(false),
	})
	if err != nil {
		t.LogError = fmt.Sprintf("stream %s in %s: %v (the caller may lack logs:GetLogEvents, or the task died before it logged)", stream, w.LogGroup, awsconf.Concise(err))
		return
	}
	// CloudWatch returns them oldest first; some emulators newest first.
	events := out.Events
	sort.SliceStable(events, func(i, j int) bool { return aws.ToInt64(events[i].Timestamp) < aws.ToInt64(events[j].Timestamp) })
	for _, e := range events {
		t.LastLogLines = append(t.LastLogLines, aws.ToString(e.Message))
	}
	if len(t.LastLogLines) > n {
		t.LastLogLines = t.LastLogLines[len(t.LastLogLines)-n:]
	}
}
