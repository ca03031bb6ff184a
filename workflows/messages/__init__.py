"""Message channels (unit group robots, webhooks), personal message preferences, and the
office's view of deliveries and background jobs."""
