"""Independent audit of the live B2 state against the stack plan, through Backblaze's b2sdk.

`compare.audit` is the pure core (plan + observed state -> checks and findings;
its groups live in key_checks, bucket_checks and inventory_checks),
`reader.read_state` the thin b2sdk shell, `report` the renderers, `cli.main`
the command line (`python -m smoke audit`). `simulated_account.World` provisions a plan on
b2sdk's RawSimulator, for the audit's tests and the bench.
"""
