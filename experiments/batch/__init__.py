"""Many runs: `executor` (where runs execute), `journal` (an experiment's directory and its
record of finished runs), `experiment` (the job list, paired seeds, resume), the three kinds
built on it (`montecarlo`, `sweep` and `sensitivity`), and `replay` (one run of a finished
experiment, rebuilt to run again).
"""
