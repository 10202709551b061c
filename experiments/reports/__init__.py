"""Tables and plots over many runs, from their results tables: `distributions` (Monte Carlo),
`sensitivity_report`, and `adl_study` (the ADL policy study over a sweep).
"""
