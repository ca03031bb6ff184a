"""The assignment pages: lists and queues, the assignment page with its timeline and actions,
evidence downloads, extension decisions and the inbox. Views read through supervision's
selectors and write only through its services."""
