"""Reliability harness: fault injection between S3 clients and a local S3 server."""
