"""Capacity certification (issue 18): the SUT holds its declared peak of mixed traffic, driven
by Locust, with money conserved afterwards.

Nothing is imported here: ``python -m qrinterop.runner.capacity.worker`` must import Locust
(whose gevent monkey-patches sockets and ssl) before anything opens a socket, and the harness's
own process must never import Locust at all. The harness calls :mod:`.engine`; only the
``__main__`` modules of :mod:`.master` and :mod:`.worker` import Locust, in the child
processes that run them (pyproject.toml's import contracts keep it so).
"""
