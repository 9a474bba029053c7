"""HR, delivery: the HR endpoints, the outbox of competence events, and their signed
delivery (adapters, the sending with retries, the pool of threads, the worker's steps)."""
