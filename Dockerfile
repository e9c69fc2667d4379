# Tenantry server image. Build: docker build -t tenantry .
# Run:   docker run -p 50051:50051 -v tenantry-data:/var/lib/tenantry tenantry

# Build stage: the same package list as tools/setup.sh.
FROM debian:bookworm AS build
WORKDIR /src
COPY tools/packages.txt tools/setup.sh tools/
RUN bash tools/setup.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN bazel build -c opt //services:tenantry_server //tools:tenantctl \
 && mkdir -p /out \
 && cp bazel-bin/services/tenantry_server bazel-bin/tools/tenantctl /out/

# Runtime stage: the binaries, their shared libraries, a non-root user.
FROM debian:bookworm
COPY tools/runtime-packages.txt /tmp/
RUN apt-get update \
 && grep -v -e '^#' -e '^$' /tmp/runtime-packages.txt \
    | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && useradd --system --home-dir /var/lib/tenantry --create-home tenantry
COPY --from=build /out/tenantry_server /out/tenantctl /usr/local/bin/
USER tenantry
VOLUME /var/lib/tenantry
EXPOSE 50051
# The server applies shared migrations at start; tenant databases are
# created migrated. Listen on all interfaces inside the container.
CMD ["tenantry_server", "--listen=0.0.0.0:50051", \
     "--data_dir=/var/lib/tenantry"]
