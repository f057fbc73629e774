"""Capacity certification (issue 18): the SUT holds its declared peak of mixed traffic, driven
by Locust, with money conserved afterwards.

Nothing is imported here: ``python -m qrinterop.runner.capacity.worker`` must import Locust
(whose gevent monkey-patches sockets and ssl) before anything opens a socket, and the harness's
own process must never import Locust at all. The harness calls :mod:`.engine`; only
:mod:`.master`, :mod:`.worker` and :mod:`.users` import Locust, in child processes.
"""
