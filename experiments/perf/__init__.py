"""Developer tools: the speed benchmark (`benchmark`, `bench_case`) and the before/after
equivalence of summary distributions (`equivalence`), both against an older revision checked
out by `worktree`.
"""
