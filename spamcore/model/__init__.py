"""Everything about the model itself, in one place: finding and loading a model (:mod:`.loading`), bf16 or fp32
(:mod:`.precision`), weights on disk (:mod:`.weights`), the larger bundled MPNet (:mod:`.bundled`) and the ready model
shipped in the package (:mod:`.ready`).

Kept empty on purpose: listing runs and the ready model must not import torch (the app's first page).
"""
