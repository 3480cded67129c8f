"""``python -m crawler.cli`` runs the markwatch command (the scheduler starts crawls this way)."""

from crawler.cli import main

main()
