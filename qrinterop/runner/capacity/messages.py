"""The custom messages the capacity run's Locust master and workers exchange: a worker's
share, its receipt, and the worker's share of the target rate each second."""

CONFIG, CONFIGURED, RATE = "qrinterop-config", "qrinterop-configured", "qrinterop-rate"
