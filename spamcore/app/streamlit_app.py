"""The script Streamlit runs for ``spamcore app``: the router, nothing else (see :mod:`spamcore.app.router`)."""

from spamcore.app.router import main

main()
