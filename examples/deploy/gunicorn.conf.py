"""Gunicorn settings for an anyiohttp app (examples/health.py here).

    cd examples && gunicorn -c deploy/gunicorn.conf.py 'health:make_app()'

Gunicorn takes ``module:variable``, or ``module:factory()`` for a factory
that returns the application (an ``async def`` factory is awaited by the
worker when given as ``module:factory``).
"""

bind = "127.0.0.1:8080"
workers = 4  # processes: about one per core; each has its own app and event loop
worker_class = "anyiohttp.worker.GunicornTrioWebWorker"  # or GunicornWebWorker (asyncio)
graceful_timeout = 30  # SIGTERM: the worker's shutdown_timeout is 95% of this
timeout = 30  # a worker that stops checking in for this long is killed and replaced
keepalive = 75  # seconds a kept-alive connection may stay idle (keepalive_timeout)
accesslog = "-"  # anyiohttp's access log format (Gunicorn's WSGI default does not apply)
