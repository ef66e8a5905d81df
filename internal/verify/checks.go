package verify

import (
	"context"
	"fmt"
	"strings"

	"github.com/great-sun-group/credex-ci/internal/awsconf"
	"github.com/great-sun-group/credex-ci/internal/report"
)

type errUnknownCheck string

func (e errUnknownCheck) Error() string {
	return fmt.Sprintf("unknown check %q: choose from %s", string(e), strings.Join(AllChecks, ","))
}

// preflight asks STS who the credentials are and refuses another account.
func (v *verification) preflight(ctx context.Context, c *report.Check) error {
	id, err := awsconf.Preflight(ctx, v.cfg.AWS, v.cfg.Env)
	if id != nil {
		c.Evidence = append(c.Evidence, fmt.Sprintf("caller: %s (account %s, credentials from %s, region %s)", id.ARN, id.Account, id.Source, id.Region))
	}
	if err != nil {
		c.Verdict, c.Summary = report.Fail, err.Error()
		return nil
	}
	c.Verdict = report.Pass
	c.Summary = fmt.Sprintf("AWS account %s is %s's", id.Account, v.cfg.Env.TerraformEnv)
	return nil
}
