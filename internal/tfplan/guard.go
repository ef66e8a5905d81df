package tfplan

import (
	"errors"
	"fmt"
	"strings"
)

// DataTypes are resource types whose destruction loses data the pipeline
// cannot recreate: the Neo4j instances and volumes, the secrets (the
// app secret's values are set by hand; the Neo4j secret holds the passwords
// the databases were initialised with), the snapshot policy, the image
// registry, the buckets (state, backups) and the KMS keys (everything
// encrypted with one is lost with it).
var DataTypes = map[string]bool{
	"aws_instance":              true,
	"aws_ebs_volume":            true,
	"aws_secretsmanager_secret": true,
	"aws_dlm_lifecycle_policy":  true,
	"aws_ecr_repository":        true,
	"aws_s3_bucket":             true,
	"aws_kms_key":               true,
}

// ErrDestroysData is returned (wrapped) by GuardData.
var ErrDestroysData = errors.New("the plan destroys a database resource")

// GuardData fails when the plan deletes or replaces any resource of the
// DataTypes, naming each one and what to do. The pipeline runs it before
// returning a plan and again before applying one.
func GuardData(p *Plan) error {
	var hits []string
	for _, rc := range p.ResourceChanges {
		if rc.Mode == "data" || !DataTypes[rc.Type] || !rc.Destroys() {
			continue
		}
		h := fmt.Sprintf("  %s %s", rc.Action(), rc.Address)
		if r := reason(rc.ActionReason); r != "" {
			h += " (" + r + ")"
		}
		hits = append(hits, h)
	}
	if len(hits) == 0 {
		return nil
	}
	return fmt.Errorf("%w: refusing to apply; it would destroy data:\n%s\n"+
		"Find which change forces this (the plan output names the argument) and revert it. "+
		"If destroying is really intended: snapshot the volumes, remove prevent_destroy from these resources, "+
		"and run terraform by hand; the pipeline never applies such a plan", ErrDestroysData, strings.Join(hits, "\n"))
}
