#!/usr/bin/env bash
# Runs once when the Codespace or dev container is created (postCreateCommand).
# Installs what the features do not: the Dagger CLI and actionlint, each
# pinned; then warms what it can so the first command is fast: Go modules,
# the example's npm dependencies, and the module itself (`dagger functions`
# starts the engine in Docker and builds the module once). Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: Dagger 1.0 renames `dagger call`. Keep in step with dagger.json,
# the workflows and the README (internal/repocheck fails make test if not).
DAGGER_VERSION=0.21.8
# The version make test's workflow lint runs (Makefile ACTIONLINT_VERSION).
ACTIONLINT_VERSION=$(sed -n 's/^ACTIONLINT_VERSION ?= //p' Makefile)

if [ "$(dagger version 2>/dev/null | cut -d' ' -f2)" != "v${DAGGER_VERSION}" ]; then
  echo "==> Dagger CLI v${DAGGER_VERSION}"
  curl -fsSL https://dl.dagger.io/dagger/install.sh |
    sudo DAGGER_VERSION="${DAGGER_VERSION}" BIN_DIR=/usr/local/bin sh
fi
dagger version

echo "==> actionlint ${ACTIONLINT_VERSION}"
go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
if ! command -v shellcheck >/dev/null; then
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
fi

echo "==> Go modules"
go mod download
(cd ci && go mod download)

echo "==> the example service's dependencies"
(cd examples/ledger-api && npm ci --no-audit --no-fund)

# Loading the module starts the engine (Docker-in-Docker is up by now) and
# compiles ci/ once. A failure here is not fatal: Docker may still be
# starting; `dagger functions` later does the same.
echo "==> dagger functions (loads the module; the first run takes a few minutes)"
if ! dagger --progress=plain functions; then
  echo "post-create: 'dagger functions' failed; run it again once Docker is up (docker info)." >&2
fi
