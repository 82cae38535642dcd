"""gunicorn's settings for the clinic (read from the working directory: `gunicorn clinic.wsgi`).

Anything given on the command line wins over this file. Every value can be changed with an
environment variable, so one image serves any machine.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: each request is short and database-bound, so the usual 2 x cores + 1 keeps the
# cores busy while some workers wait on PostgreSQL. Each worker holds one persistent database
# connection (CONN_MAX_AGE), so this is also the number of connections a web host opens.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
# A worker is replaced after this many requests (plus jitter, so they never restart together):
# a bound on any slow growth in memory.
max_requests = 5000
max_requests_jitter = 500
# No access log: manage-reminders and calendar-feed URLs carry tokens that must never be
# written to a log. Errors go to stderr.
accesslog = None
errorlog = "-"
# The TLS proxy in front sets X-Forwarded-Proto; Django reads it (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
