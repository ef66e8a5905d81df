package tfoutputs

import "strings"

// Need is what one caller reads from the main stack's outputs, and how it
// can do without them. Callers ask only for what they use, so an apply that
// stopped part-way (its state holds some outputs, not all) blocks only the
// callers that need a missing one, each with its own way out.
type Need struct {
	// Caller names the reader in messages: "plan", "drift", "verify".
	Caller string
	// Outputs are the outputs the caller reads.
	Outputs []string
	// Instead says how to run without them: "pass --image=...".
	Instead string
}

// WholeContract is every output the contract requires (Contract): what a
// caller reads right after a complete apply.
func WholeContract() Need {
	return Need{Outputs: Contract(), Instead: "apply the current stack (its outputs change only on apply)"}
}

// Existing requires no output: the caller takes what the state has (an
// apply that stopped part-way leaves some), checked with Outputs.Matches.
func Existing(caller string) Need {
	return Need{Caller: caller, Instead: "run deploy again to complete the stack"}
}

// imageFlag is how plan and drift are given an image instead.
const imageFlag = "pass --image=<repository>@sha256:<digest> (the image build pushed, or the one the environment runs)"

// DeployedImage is what plan without --image and drift read: the image of
// the last apply, and nothing else.
func DeployedImage(caller string) Need {
	return Need{Caller: caller, Outputs: []string{"image"}, Instead: imageFlag}
}

// ForVerify is what verify reads: the task definition and the API URL it
// was not given. The rest it takes from the outputs that exist, checked
// against the environment (Outputs.Matches), or from the environment's own
// names.
func ForVerify(taskDefinitionGiven, apiURLGiven bool) Need {
	n := Need{Caller: "verify"}
	var flags []string
	if !taskDefinitionGiven {
		n.Outputs = append(n.Outputs, "task_definition_arn")
		flags = append(flags, "--task-definition")
	}
	if !apiURLGiven {
		n.Outputs = append(n.Outputs, "api_url")
		flags = append(flags, "--api-url")
	}
	n.Instead = "pass " + strings.Join(flags, " and ")
	return n
}
