"""A local fake of a subscriber billing's OSMP «check / pay» endpoint (ABillS and Ubilling dialects)."""
