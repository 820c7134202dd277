# holdfast for a city's container platform. Two stages: the build with every dependency, then a
# runtime with the production dependencies and the built app only, run as the unprivileged `node`
# user. Configuration by environment variables (.env.example lists them); the app refuses to
# start in production without DATABASE_URL, a mail transport, APP_SECRET and an https
# PUBLIC_BASE_URL.
#   docker build -t holdfast .
#   docker run --env-file .env -p 3000:3000 holdfast

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
COPY bench ./bench
RUN npm run build

FROM node:24-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY scripts ./scripts
COPY LICENSE README.md ./
USER node
EXPOSE 3000
# Readiness: 503 while shutting down, without the database, with a stuck worker (README, "Readiness and shutdown").
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM: the running dispatch round finishes, then the SMTP pools and the database close; give it
# more than SHUTDOWN_TIMEOUT_MS (20 s): `docker stop -t 30`, or stop_grace_period in compose.
STOPSIGNAL SIGTERM
# Migrations run at start (MIGRATE_ON_START=true); as a job of its own: `node dist/src/cli/migrate.js run`.
CMD ["node", "dist/src/main.js"]
