"""The semantics ring: pure functions (policies, cluster, connection) -> Verdict."""
