"""Tables and plots over many runs, from their results tables: `distributions` (Monte Carlo),
`sensitivity_report`, `adl_study` (the ADL policy study over a sweep) and `compare` (runs or
Monte Carlo experiments side by side).
"""
