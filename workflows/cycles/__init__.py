"""The biweekly cycle's pages: rankings, a unit's breakdown across cycles, notices, the dashboard."""
