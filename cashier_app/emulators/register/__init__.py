"""A local fake of an online cash register (ATOL Web Server v2 and ATOL Online v5) for demos and tests."""
