"""Layer 6, runs: run folders and the jobs that make them — a run trained and written whole (:mod:`.experiment`),
its file names and status words (:mod:`.layout`), saving, listing, sharing and deleting (:mod:`.store`), a run's saved
test scores (:mod:`.scores`) and HTML report (:mod:`.report`), the trainer's progress file (:mod:`.progress`), the
trainer and the app's jobs (:mod:`.trainer`, :mod:`.jobs`, :mod:`.processes`), the time a training will take
(:mod:`.estimate`), and the ready model's making (:mod:`.packaging`).

Import rule: may import every layer below (training, evaluation, model, data, text); loading a classifier is asked
of the model layer, never done here. Above it: teaching, classroom, serving, the app and the CLI.
"""
