"""Grad mode: whether ops are recorded in the graph, per thread, as in torch.

`no_grad()` turns recording off (the lesson's update `a.sub_(lr * a.grad)` must not become
part of the next step's graph); `enable_grad()` turns it back on; `set_grad_enabled(mode)`
does either. Each is a context manager and a decorator. The engine reads `state.enabled`
once per op.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "state"]


class _State(threading.local):
    """Per thread, so that one thread's `no_grad` leaves the others recording."""

    enabled = True


state = _State()


def is_grad_enabled() -> bool:
    """True unless inside `no_grad()` (in this thread)."""
    return state.enabled


class _GradMode:
    """A context manager and decorator that sets grad mode to `self.mode` for its block and
    then restores what was there before."""

    __slots__ = ("mode", "prev")
    mode: bool

    def __enter__(self) -> None:
        self.prev, state.enabled = state.enabled, self.mode  # (restored by __exit__)

    def __exit__(self, *exc: object) -> None:
        state.enabled = self.prev

    def __call__(self, fn: Callable) -> Callable:
        """Decorate `fn` so that its body (each resumption, for a generator) runs in this
        grad mode."""
        import inspect  # here: importing it costs more than the rest of this module
        mode = self.mode
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def generator(*args: Any, **kwargs: Any) -> Any:
                return (yield from _each_step_in_mode(fn(*args, **kwargs), mode))
            return generator

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):  # a fresh one per call: safe under recursion
                return fn(*args, **kwargs)
        return wrapper


def _each_step_in_mode(gen: Any, mode: bool) -> Any:
    """Run a generator with grad mode `mode` while its body runs, and the caller's mode
    while it is suspended at a `yield` (torch does the same for decorated generators).
    What the caller sends, throws in or closes reaches the body, in that mode too."""
    try:
        with set_grad_enabled(mode):
            item = gen.send(None)
        while True:
            try:
                value = yield item
            except GeneratorExit:  # close(): the body's finally blocks run in the mode
                with set_grad_enabled(mode):
                    gen.close()
                raise
            except BaseException as error:  # throw(): the body may catch it
                with set_grad_enabled(mode):
                    item = gen.throw(error)
            else:
                with set_grad_enabled(mode):
                    item = gen.send(value)
    except StopIteration as stop:
        return stop.value


class no_grad(_GradMode):
    """Turn gradient recording off: `with no_grad(): ...`, `@no_grad()` or `@no_grad`.

    >>> with tg.no_grad():
    ...     a.sub_(lr * a.grad)     # an update that must not be recorded in the graph
    """

    __slots__ = ()
    mode = False

    def __new__(cls, fn: Callable | None = None) -> Any:
        # no_grad() makes the context manager; used bare, as @no_grad, it decorates fn
        return object.__new__(cls) if fn is None else object.__new__(cls)(fn)


class enable_grad(_GradMode):
    """Turn gradient recording back on inside a `no_grad` block (a block or a decorator)."""

    __slots__ = ()
    mode = True

    def __new__(cls, fn: Callable | None = None) -> Any:
        if fn is not None:
            return object.__new__(cls)(fn)
        return object.__new__(cls)


class set_grad_enabled(_GradMode):
    """Set grad mode for this thread: at once when called, `set_grad_enabled(False)`, and
    back to what it was at the end of a `with` block or of a decorated function."""

    __slots__ = ()

    def __init__(self, mode: bool) -> None:
        self.prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode  # as torch: the call itself switches

    def __enter__(self) -> None:
        state.enabled = self.mode  # `prev` was taken before the switch, in __init__

    def __call__(self, fn: Callable) -> Callable:
        state.enabled = self.prev  # used as a decorator: undo the switch above
        return super().__call__(fn)
