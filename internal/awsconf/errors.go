package awsconf

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Concise returns err, an error of an AWS SDK call, with a text that names
// the service and operation once and then the cause, for example
//
//	ECS DescribeServices: AccessDeniedException: User: arn:aws:iam::1:user/ci is not authorized to perform: ecs:DescribeServices (request ID 5f1e…)
//	ECS DescribeServices failed after 8 attempts: dial tcp 10.0.0.1:443: connect: connection refused
//
// where the SDK's own text layers them (operation error ECS:
// DescribeServices, exceeded maximum number of attempts, 8, https response
// error StatusCode: 0, RequestID: , request send failed, Post "https://…":
// dial tcp …). errors.Is and errors.As still see the SDK's error. An error
// that is not an SDK operation's is returned as it is.
func Concise(err error) error {
	var op *smithy.OperationError
	if err == nil || !errors.As(err, &op) {
		return err
	}
	what := op.ServiceID + " " + op.OperationName
	var attempts *retry.MaxAttemptsError
	if errors.As(op.Err, &attempts) {
		what += fmt.Sprintf(" failed after %d attempts", attempts.Attempt)
	}
	return &conciseError{err: err, text: what + ": " + cause(op.Err)}
}

type conciseError struct {
	err  error
	text string
}

func (e *conciseError) Error() string { return e.text }
func (e *conciseError) Unwrap() error { return e.err }

// cause is what went wrong inside an SDK operation: the service's answer
// (its error code and message, with the request ID AWS support asks for),
// or why no answer came (the network error, without the request's URL).
func cause(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		s := api.ErrorCode()
		var resp *awshttp.ResponseError
		hasResp := errors.As(err, &resp)
		if s == "" && hasResp {
			s = fmt.Sprintf("HTTP %d", resp.HTTPStatusCode())
		}
		if msg := api.ErrorMessage(); msg != "" {
			s += ": " + msg
		}
		if hasResp && resp.ServiceRequestID() != "" {
			s += " (request ID " + resp.ServiceRequestID() + ")"
		}
		return s
	}
	var send *smithyhttp.RequestSendError
	if errors.As(err, &send) && send.Err != nil {
		inner := send.Err
		var u *url.Error
		if errors.As(inner, &u) {
			inner = u.Err
		}
		return inner.Error()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer before the deadline"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	var attempts *retry.MaxAttemptsError
	if errors.As(err, &attempts) && attempts.Err != nil {
		return attempts.Err.Error()
	}
	return err.Error()
}
