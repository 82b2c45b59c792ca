"""Studies: many squats at once, to say how sure the picture is and which parameter decides it.

design (what to run: knees x cases x a sample of the uncertainty table, kneeviz.uncertainty),
worker (one run, in a worker process), runner (in parallel, locally or on dask.distributed),
store (each finished run kept at once; the tidy table), summary (a squat's figures at fixed knee
angles), sensitivity (Sobol indices or rank correlations, a tornado chart), band (the app's
"How sure?" band). No Qt here (the layers contract in pyproject.toml): the app and the `kneeviz
sweep` command use it.
"""
