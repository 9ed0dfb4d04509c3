"""The platform operator's tools: the console on the public domain (agencies, usage, plans,
suspension, exports, deletion, its audit log), and what enforces them across the product."""
