"""A capacity run's Locust worker, run as ``python -m qrinterop.runner.capacity.worker``
(``__main__.py``): Locust's gevent patches sockets and ssl on import, so its code is imported
only by the processes that run it, never by the harness or a module walk."""
