"""What help() shows: the signatures' annotations as the objects they name.

The modules write `from __future__ import annotations`, so that Tensor's methods can name
Tensor before the class exists; every annotation is then kept as a string, and help()
prints it quoted: `exp(input: 'Tensor') -> 'Tensor'`. `resolve(...)` evaluates each string
once, in its function's module, after every module is loaded, so help() prints
`exp(input: tinygrad_sgd.tensor.Tensor) -> tinygrad_sgd.tensor.Tensor`, as it would for
annotations written without the future import. (typing.get_type_hints does the same per
call; this caches the few dozen distinct strings, so the import stays cheap.)
"""
import types as _types
from typing import Any as _Any

__all__ = ["resolve"]


def resolve(*owners: _Any) -> None:
    """Evaluate the string annotations of the functions, methods and properties of each
    module or class in `owners` (for a class, of every class it inherits from too; for a
    module, of the classes it holds too). Only tinygrad_sgd's own functions are touched."""
    cache: dict = {}
    seen: set = set()
    for owner in owners:
        _resolve_owner(owner, cache, seen)


def _resolve_owner(owner: _Any, cache: dict, seen: set) -> None:
    classes = owner.__mro__[:-1] if isinstance(owner, type) else (owner,)  # not object's
    for cls in classes:
        for member in vars(cls).values():
            if isinstance(member, type):
                if member.__module__.startswith("tinygrad_sgd") and id(member) not in seen:
                    seen.add(id(member))
                    _resolve_owner(member, cache, seen)
            else:
                _resolve_member(member, cache, seen)


def _resolve_member(member: _Any, cache: dict, seen: set) -> None:
    if isinstance(member, property):
        for fn in (member.fget, member.fset):
            _resolve_function(fn, cache, seen)
    else:
        _resolve_function(getattr(member, "__func__", member), cache, seen)  # static/class


def _resolve_function(fn: _Any, cache: dict, seen: set) -> None:
    while hasattr(fn, "__wrapped__"):  # a decorated function: its annotations are the
        fn = fn.__wrapped__            # original's, to be read in the original's module
    if fn.__class__ is not _types.FunctionType or id(fn) in seen \
            or not fn.__module__.startswith("tinygrad_sgd"):
        return
    seen.add(id(fn))
    annotations = fn.__annotations__
    if not any(a.__class__ is str for a in annotations.values()):
        return
    namespace = fn.__globals__
    resolved = {}
    for name, annotation in annotations.items():
        if annotation.__class__ is str:
            key = (id(namespace), annotation)
            if key not in cache:
                value = annotation
                try:  # twice for `-> "Tensor"`, a quoted name inside the future's string
                    while value.__class__ is str:
                        value = eval(value, namespace)  # noqa: S307 (our own source)
                except Exception:  # a name only a type checker sees: keep the string
                    value = annotation
                cache[key] = value
            annotation = cache[key]
        resolved[name] = annotation
    fn.__annotations__ = resolved
