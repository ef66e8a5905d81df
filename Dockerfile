# The reference production Dockerfile for credex-core-layout services: a
# package.json with `build` (TypeScript to an output directory), `test`,
# `test:integration` and `start` (`node <output dir>/<entry>.js`) scripts, a
# committed package-lock.json, and a service listening on PORT (5000).
# credex-ci builds a service with this file when the service has no
# Dockerfile of its own, passing OUT_DIR and MAIN from its start script
# (`node build/src/index.js` gives OUT_DIR=build, MAIN=build/src/index.js).
#
# Targets:
#   development  all dependencies and the source (a dev container)
#   test         development + compiled code; its command runs `npm test`
#   production   production dependencies and compiled output only, as `node`
#
# Secrets (database passwords, JWT secrets) are NEVER build arguments: build
# args are recorded in the image history. Services read them at run time from
# the environment, which ECS fills from Secrets Manager. REVISION and BUILT_AT
# below are build metadata, not secrets.

# Node LTS, pinned by digest: node:22-bookworm-slim (the digest public
# repositories pin for that tag). Override it to pull through a mirror or an
# internal registry: --build-arg NODE_IMAGE=<registry>/node:22-bookworm-slim@sha256:...
ARG NODE_IMAGE=node:22-bookworm-slim@sha256:43ac6c60b8f89723f746e8a92ce91abd5017e627ce1ddfe4238355d3a30b772c

# Where `npm run build` writes the compiled service, and the file `node` runs.
ARG OUT_DIR=dist
ARG MAIN=dist/server.js

# All dependencies, exactly as locked. This layer is rebuilt only when
# package.json or package-lock.json change; npm's download cache lives in a
# build cache mount, never in a layer.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --no-audit --no-fund

FROM deps AS development
ENV NODE_ENV=development
COPY . .
CMD ["sh", "-c", "npm run build && npm start"]

FROM development AS build
RUN npm run build

# The unit tests run here (`npm test`); so does the integration suite, with
# API_URL pointing at a running instance (`npm run test:integration`).
FROM build AS test
ENV NODE_ENV=test
CMD ["npm", "test"]

FROM ${NODE_IMAGE} AS production-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --omit=dev --no-audit --no-fund

# No compilers, no dev dependencies, no source: the slim Node image, the
# production node_modules and the compiled output. Files stay owned by root,
# so the `node` user that runs the service cannot change them.
FROM ${NODE_IMAGE} AS production
ARG OUT_DIR
ARG MAIN
ENV NODE_ENV=production \
    PORT=5000 \
    APP_MAIN=${MAIN}
WORKDIR /app
COPY --from=production-deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY --from=build /app/${OUT_DIR} ./${OUT_DIR}
# Build metadata last, so a new revision does not invalidate the layers above.
# GET /health reports them as `revision` and `builtAt`.
ARG REVISION=""
ARG BUILT_AT=""
ENV APP_REVISION=${REVISION} \
    APP_BUILT_AT=${BUILT_AT}
USER node
EXPOSE 5000
# exec: node replaces the shell, so it is PID 1 and receives SIGTERM.
CMD ["/bin/sh", "-c", "exec node \"$APP_MAIN\""]
