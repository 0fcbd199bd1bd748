"""The Streamlit app, shipped inside the package: ``spamcore app`` starts it from any folder
(:mod:`spamcore.app.server`), and ``streamlit run app.py`` in a checkout runs the same router
(:mod:`spamcore.app.router`).

- ``router``: page config, navigation by role, the sidebar; ``streamlit_app.py`` is the script Streamlit runs;
- ``views/``: one file per page, each a few named sections called at the bottom (not ``pages/``: a ``pages/`` folder
  beside the script switches Streamlit to its legacy multipage mode, which bypasses the router);
- ``ui/``: the pages' building blocks (session state, cached resources, roles, charts, page parts);
- ``assets/``: the CSS, the logo and the upload demo's example file, found through :mod:`spamcore.app.paths`;
- ``settings``: the Streamlit options the app runs with; ``warmup``: the heavy imports, once per server process.

The core (``spamcore`` outside this folder) never imports it, and nothing here trains: pages call the library.

Layer 8, the top with the CLI. Import rule: may import every layer; nothing imports it.
"""
