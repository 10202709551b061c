"""The traders: Mesa agents that decide. One module per kind of trader.

Orders are not agents: a trader calls the exchange, which matches and settles at once.
`agents.population.Population` builds the traders of a scenario and activates them sparsely.
"""
