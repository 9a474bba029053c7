"""``python -m badgeservice`` is the ``badgeservice`` command."""

from badgeservice.cli import main

main()
