"""One module per framework; each defines ``build(workload) -> (step, sync)``: a zero-argument
training step on one fixed batch, and a function that waits for queued work (GPU)."""
