"""The Implementation Conformance Statement: what an institution claims, and how it is launched."""
