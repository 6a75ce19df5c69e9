# One image for every fabricscope service; docker-compose picks the service with the command.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY proto proto
COPY common common
COPY collector collector
COPY writer writer
COPY query query
COPY alarms alarms
COPY simulator simulator
COPY bin bin
COPY harness harness
COPY test test
COPY bench bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/proto proto
COPY package.json ./
ENTRYPOINT ["node", "dist/bin/fabricscope.cjs"]
CMD ["start"]
