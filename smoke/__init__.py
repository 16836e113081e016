"""Post-deploy smoke suite: proves a stack's bucket, keys and Pixeltable round trip work."""
