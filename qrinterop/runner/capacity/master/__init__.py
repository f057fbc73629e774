"""A capacity run's Locust master, run as ``python -m qrinterop.runner.capacity.master``
(``__main__.py``): Locust's gevent patches sockets and ssl on import, so its code is imported
only by the process that runs it, never by the harness or a module walk."""
