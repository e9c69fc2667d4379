# Tenantry: the gRPC server, tenantctl, health_check and the REST gateway.
#   docker build -t tenantry .
#   docker run -p 50051:50051 -v tenantry-data:/var/lib/tenantry tenantry
# docker-compose.yml runs it with PostgreSQL and the gateway.

# Build stage: the same package list as a developer machine
# (tools/packages.txt through tools/setup.sh), Bazel in opt mode.
FROM debian:bookworm AS build
WORKDIR /src
COPY tools/packages.txt tools/setup.sh tools/
RUN bash tools/setup.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN bazel build -c opt //services:tenantry_server //tools:tenantctl \
      //tools:health_check //gateway:tenantry_gateway \
 && mkdir -p /out \
 && cp bazel-bin/services/tenantry_server bazel-bin/tools/tenantctl \
      bazel-bin/tools/health_check bazel-bin/gateway/tenantry_gateway /out/

# Runtime stage: the binaries, their shared libraries, a non-root user.
FROM debian:bookworm
COPY tools/runtime-packages.txt /tmp/
RUN apt-get update \
 && grep -v -e '^#' -e '^$' /tmp/runtime-packages.txt \
    | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && useradd --system --home-dir /var/lib/tenantry --create-home tenantry
COPY --from=build /out/ /usr/local/bin/
USER tenantry
WORKDIR /var/lib/tenantry
VOLUME /var/lib/tenantry
EXPOSE 50051 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["health_check", "--address=127.0.0.1:50051"]
# The server applies the shared migrations at start and creates each
# tenant's database migrated. Inside the container it listens on every
# interface so that published ports reach it. It needs the admin key in
# TENANTRY_ADMIN_KEY (docker run -e) or a file named by --admin_key_file.
CMD ["tenantry_server", "--listen=0.0.0.0:50051", \
     "--data_dir=/var/lib/tenantry"]
