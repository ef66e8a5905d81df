// Package tfscripts tests the shell the credex-core stack runs on its
// instances (terraform/modules/*/scripts): each script's functions are
// sourced by bash in a sandbox, with a fake device tree and fake system
// commands (blkid, mkfs.xfs, mount, aws, neo4j-admin, systemctl, sleep) first on
// PATH that record how they were called, so the logic that decides which
// disk to format or which backup to restore is tested without a machine to
// lose. The scripts are also checked with shellcheck when it is installed.
//
// The package has no code of its own beyond the sandbox (sandbox.go).
package tfscripts
