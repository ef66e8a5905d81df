# The fixture's broken variant (a snapshot of credex-core had the
# same fault): its production stage copies /app/config/config.js, which the
# production-build stage never creates (tsc writes build/src/config/config.js),
# so every production build fails. Otherwise the fixture's Dockerfile.
ARG NODE_VERSION=20.18.1

FROM node:${NODE_VERSION}-alpine AS base
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci

FROM base AS development
ENV NODE_ENV=development
COPY . .
CMD ["sh", "-c", "npm run build && npm start"]

FROM base AS production-build
COPY . .
RUN npm run build

FROM node:${NODE_VERSION}-alpine AS production
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY --from=production-build /app/build ./build
COPY --from=production-build /app/config/config.js ./config/config.js
EXPOSE 3000
CMD ["node", "build/src/index.js"]

FROM base AS test
ENV NODE_ENV=test
COPY . .
RUN npm run build
CMD ["npm", "test"]
