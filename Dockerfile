# backend-audit in a container: docker build -t backend-audit .
#                                docker run --rm -v "$PWD:/src" backend-audit
# First stage builds the wheels (ours and every dependency's), so the final image has no
# build tools, no source tree and no pip cache.
FROM python:3.12-slim AS build
WORKDIR /build
COPY pyproject.toml README.md ./
COPY analyzer ./analyzer
COPY rules ./rules
COPY reports ./reports
RUN pip wheel --no-cache-dir --disable-pip-version-check --wheel-dir /wheels .

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links /wheels backend-audit \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin audit
# Scanned code is untrusted input: the tool never runs it, and the container does not
# run as root either.
USER audit
WORKDIR /src
ENTRYPOINT ["backend-audit"]
CMD ["."]
