"""Loading subscribers and bookings from the systems of record's exports (issue 14)."""
