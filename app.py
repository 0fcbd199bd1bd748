"""``streamlit run app.py`` in a checkout: the same router that ``spamcore app`` runs from the installed package
(:mod:`spamcore.app.router`). The app itself lives in ``spamcore/app/``."""

from spamcore.app.router import main

main()
