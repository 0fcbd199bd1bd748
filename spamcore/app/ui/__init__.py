"""The Streamlit app's building blocks, used by the pages in ``views/`` (no model logic: that is ``spamcore``).

- state for the session: ``state`` (the selected run), ``data_choice`` (built-in data or an upload), ``jobs``
  (the session's training job), ``resources`` (models and scores cached per server process), ``sidebar``;
- drawing: ``charts`` (figures and verdicts), ``highlight`` (words coloured by their push);
- page parts: ``job_panel`` (Train's live panel), ``confusion_cells`` and ``mistakes`` (Evaluate),
  ``outside_test_set`` (Evaluate's robustness suite and probes), ``embedding_map`` and ``pretraining_guesses``
  (How BERT learns).
"""
