"""Runs on disk and their life, in one module family:

- ``layout``: a run folder's file names, the status words, where runs live and what a new run's folder must be;
- ``store``: save a run, read it back (metadata, classifier), list, choose a threshold, zip, delete;
- ``progress``: the trainer's append-only progress file, written and read incrementally;
- ``trainer``: the trainer's side of a job (run lock, progress, final status, stop signals);
- ``jobs``: the app's side of a job (launch ``spamcore train`` as a process, watch it, stop it).
"""
