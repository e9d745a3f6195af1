"""Virtual-time replay of orchestrators through the real Durable Functions SDK (shared by tests and benchmarks)."""
