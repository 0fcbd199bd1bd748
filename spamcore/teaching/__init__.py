"""What the app shows to teach, on top of the core: word attributions (``explain``), masked-language-model and
next-sentence views (``pretraining``, ``masked``), the embedding map (``embedding``), what the tokenizer does
(``explore``) and the careful reader's indicators (``indicators``). What a run's scores mean lives in
``spamcore.evaluation``.

The library never imports this package; the front ends do: the app, the benchmarks and the CLI's ``mlm-head``.

Layer 7 (beside classroom and serving). Import rule: may import every layer below (runs, evaluation, training, model,
data,
text); never the classroom, serving, the app or the CLI.
"""
