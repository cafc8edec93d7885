# Used by docker-compose.yml. Builds the frontend and the binary, runs on Debian.
FROM node:20-bookworm AS web
WORKDIR /src/frontend
COPY frontend/ ./
RUN if [ -f package.json ]; then npm ci && npx vite build; fi

FROM golang:1.26-bookworm AS go
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /src/frontend/dist ./frontend/dist
RUN CGO_ENABLED=0 go build -o /cityreach ./cmd/cityreach

FROM debian:bookworm-slim
COPY --from=go /cityreach /usr/local/bin/cityreach
EXPOSE 8080
ENTRYPOINT []
CMD ["cityreach", "serve"]
