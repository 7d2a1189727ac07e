# One image for the hub and every country node: `singlewindow hub serve` / `singlewindow node serve`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY singlewindow ./singlewindow
RUN pip install . && useradd --system --uid 10001 singlewindow && mkdir -p /data && chown singlewindow /data
USER singlewindow
WORKDIR /data
EXPOSE 8000
# the health check the compose file uses too: /healthz answers 200 only when the database does
HEALTHCHECK --interval=10s --timeout=3s --retries=6 \
  CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
ENTRYPOINT ["singlewindow"]
CMD ["--help"]
