"""Layer 4, model: everything about a classifier itself — the settings it is trained and read with (:mod:`.config`),
its architectures and their weights on disk (:mod:`.recipes`, :mod:`.weights`, :mod:`.features`), finding and loading a
base model (:mod:`.loading`, :mod:`.bundled`), bf16 or fp32 (:mod:`.precision`), the verdicts every engine gives
(:mod:`.verdicts`) on torch (:mod:`.classifier`) or ONNX Runtime (:mod:`.onnx`), the ready model shipped in the package
(:mod:`.ready`) and a teacher kept as data (:mod:`.teacher_file`). A saved classifier — a run folder, the bundled or
the ready model — loads through :func:`spamcore.model.pretrained.from_pretrained`.

Import rule: may import :mod:`spamcore.evaluation`, :mod:`spamcore.data` and :mod:`spamcore.text`; never training,
runs or anything above. Kept empty on purpose: listing runs and the ready model must not import torch (the app's
first page).
"""
