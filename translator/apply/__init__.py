"""Changing a cluster deliberately: a plan first, a rollback bundle before any change, then one
object at a time through calicoctl or kubectl, stopping at the first failure.

- `plan`: what will be applied or deleted, in which order, and what a rollback needs (pure).
- `bundle`: the rollback bundle file (previous objects, created objects).
- `runner`: calicoctl / kubectl as subprocesses; running a plan step by step.
- `workflow`: the apply, promote and rollback sequences the CLI drives.
"""
