# One image for every Python part of the scaled-out topology (docker-compose.yml): the storefront
# (`marketplace web`, the default command), `marketplace relay`, `marketplace worker NAME` and the
# one-shot `marketplace db upgrade`. Configuration comes only from environment variables (README).
#
# Two stages: the wheel is built with the build tooling, the runtime stage gets only the installed
# project, runs as an unprivileged user and has no compiler, no pip cache and no source tree.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY marketplace ./marketplace
COPY events ./events
COPY workers ./workers
RUN pip wheel --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VAR_DIR=/var/lib/pasar-kreatif
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home --shell /usr/sbin/nologin app \
 && mkdir -p /var/lib/pasar-kreatif \
 && chown app:app /var/lib/pasar-kreatif
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels
# `marketplace db upgrade` finds Alembic's scripts next to the installed packages
# (marketplace/cli.py: MIGRATIONS_DIR = <site-packages>/migrations); the wheel does not carry them.
COPY migrations /usr/local/lib/python3.11/site-packages/migrations
RUN python -c "import marketplace.cli as c; assert (c.MIGRATIONS_DIR / 'env.py').is_file(), c.MIGRATIONS_DIR"

USER app
WORKDIR /home/app
EXPOSE 8000
# No HEALTHCHECK here: only `web` serves HTTP; docker-compose.yml gives it one on /readyz.
ENTRYPOINT ["marketplace"]
# gunicorn's worker class, processes and threads: WEB_WORKER_CLASS, WEB_WORKERS, WEB_THREADS (README)
ENV WEB_WORKERS=4
CMD ["web", "--host", "0.0.0.0", "--port", "8000"]
