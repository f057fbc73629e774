"""qrinterop: conformance and interoperability harness for interconnected QR-code payments."""

__version__ = "0.1.0"
