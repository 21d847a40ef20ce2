"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py newsroom.wsgi`.

Threads, not sync workers: a request that waits (a story's row lock during a burst of comments, a slow mail relay, a
database failover) holds one thread of one worker, not a whole worker, so readers of every other story are still
served. gunicorn still must not face the internet directly: put the buffering proxy of deploy/nginx.conf in front,
which reads each request whole before passing it on (a client that trickles its headers ties up nginx, which is
built for it, never a thread here). Each value can be overridden from the environment.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 8))
# A request still running after this long is a bug or an outage: the worker is restarted rather than held.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
# Behind the proxy, connections are reused for a few seconds.
keepalive = 5
# Recycle workers now and then, so a slow leak never becomes an outage.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
# The proxy in front is the only client: it sets X-Forwarded-For / -Proto (see DJANGO_BEHIND_PROXY).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# No control socket (gunicorn 24+, one path per user by default): several nodes may share a machine, and each is
# managed by signals to its own master (SIGTERM, SIGHUP), as systemd and tests/servers.py do.
control_socket_disable = True
