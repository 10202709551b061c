"""A live Solara dashboard of one run: ``cascade dashboard`` or ``solara run`` on `app`.

`settings` maps the controls to scenario settings, `controls` runs the model, `panels` draws the
market, `app` is the page and `command` the ``cascade dashboard`` sub-command. Nothing here selects a matplotlib backend: the
panels draw on `matplotlib.figure.Figure`, which needs none.
"""

# What the page opens with; `cascade dashboard` passes its options to the server through these.
SCENARIO_VARIABLE = "CASCADE_DASHBOARD_SCENARIO"
SEED_VARIABLE = "CASCADE_DASHBOARD_SEED"
DEFAULT_SCENARIO = "flash-crash"
