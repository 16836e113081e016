"""Faults on demand, for the tools users run and the tests that use them.

`proxy` is the fault-injecting reverse proxy (B2's refusals, 503 bursts, hangs, drops) that
the B2 twin and the reliability tests put in front of a local S3 server; `matrix` runs the
smoke suite under each fault and judges the outcome (`scripts/reliability`);
`hanging_socket` is an endpoint that accepts and never answers (the bench, the tests).
"""
