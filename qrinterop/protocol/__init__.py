"""Protocol: the signed message envelope, SM2/SM3 signatures and schema validation."""
