"""The agency portal's pages: overview, client dashboards, feedback inbox (views only; logic in clients)."""
