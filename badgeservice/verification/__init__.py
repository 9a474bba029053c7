"""Public verification: anyone posts a credential (or a baked image, or a URL of one of
ours) and gets the same report as ``badgeservice credentials verify``."""
