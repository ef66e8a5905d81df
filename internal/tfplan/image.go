package tfplan

import (
	"fmt"
	"regexp"
)

// imagePattern is the stack's validation of var.image (terraform/variables.tf):
// a repository pinned by digest. Checked here too, so a bad --image is refused
// before Terraform or AWS is touched.
var imagePattern = regexp.MustCompile(`^[^@\s]+@sha256:[0-9a-f]{64}$`)

// Pinned reports whether an image reference is pinned by digest
// (<repository>@sha256:<64 hex digits>), as the stack requires.
func Pinned(image string) bool { return imagePattern.MatchString(image) }

// CheckImage refuses an image reference that is not pinned by digest.
func CheckImage(image string) error {
	if Pinned(image) {
		return nil
	}
	return fmt.Errorf("--image %q is not pinned by digest: pass <repository>@sha256:<64 hex digits>, the digest the push of the build returned (tags are mutable and are refused); nothing was changed in AWS", image)
}
