#!/usr/bin/env bash
# Reads the deploy report (the Markdown `dagger call deploy` prints) and
# writes the job outputs as NAME=value lines for $GITHUB_OUTPUT:
#
#   image                     <repository>@sha256:<digest>
#   image-digest              sha256:<digest>
#   task-definition           <family>:<revision>
#   task-definition-revision  <revision>
#
# It reads the report's first table (internal/deploy's Markdown: "| Image |
# `...` |", "| Task definition | `...` |"); an output the report does not
# hold (a deploy that failed before publishing) is left out, never guessed.
# internal/repocheck runs this script against a rendered report.
set -euo pipefail
report=${1:?usage: deploy-outputs.sh REPORT.md}

row() { # the code span of the first table row labelled $1
  sed -n "s/^| $1 | \`\\([^\`]*\\)\` |\$/\\1/p" "$report" | head -n 1
}

image=$(row 'Image')
if [[ $image =~ @(sha256:[0-9a-f]{64})$ ]]; then
  echo "image=$image"
  echo "image-digest=${BASH_REMATCH[1]}"
fi
task_definition=$(row 'Task definition')
if [[ $task_definition =~ ^[A-Za-z0-9_-]+:([0-9]+)$ ]]; then
  echo "task-definition=$task_definition"
  echo "task-definition-revision=${BASH_REMATCH[1]}"
fi
