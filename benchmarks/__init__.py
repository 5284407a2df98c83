"""lamina's benchmark suite: reference workloads timed side by side with the anchors."""
