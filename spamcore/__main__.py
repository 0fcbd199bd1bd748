"""``python -m spamcore`` runs the CLI."""

from spamcore.cli import main

raise SystemExit(main())
