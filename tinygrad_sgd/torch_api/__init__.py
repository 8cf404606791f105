"""The torch front door: torch's functions (`tg.exp(t)`, `tg.matmul(a, b)`, `tg.cat(...)`),
each of which checks its arguments in the user's terms, applies torch's dtype rules and
then calls one op of `ops/`. Tensor's methods and operators are these same functions.

    math_ops.py       operands and dtype promotion, arithmetic, matmul, reductions
    pointwise_ops.py  exp, log, relu, clamp, where, ..., comparisons
    shape_ops.py      view, reshape, permute, expand, cat, stack, ...
    indexing.py       checking the key of t[key] and t[key] = value
    checks.py         dims, shapes and broadcasting, in torch's words
"""
