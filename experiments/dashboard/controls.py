"""The sidebar's controls: Reset, ▶/❚❚ and Step, how many steps a redraw shows, and the settings.

The run advances in batches of *Render Interval* steps, one redraw after each, and never past its
last step: a batch stops where the model stops running.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable

import solara

from experiments.dashboard.settings import KNOBS, number, parse_money
from model.simulation import CascadeModel

RENDER_INTERVAL = (1, 100)  # steps a redraw shows (Step advances this many)
PLAY_INTERVAL = (0, 500)  # milliseconds between redraws while playing


def advance(model: CascadeModel, steps: int) -> int:
    """Step ``model`` up to ``steps`` times, stopping at its last step.

    Returns:
        The steps taken (fewer than asked when the run ended).
    """
    taken = 0
    while taken < steps and model.running:
        model.step()
        taken += 1
    return taken


def play_batches(
    model: CascadeModel,
    playing: Callable[[], bool],
    steps: Callable[[], int],
    pause: Callable[[], None],
    redraw: Callable[[], None],
) -> None:
    """What ▶ does: pause, a batch of steps, a redraw, again, until the run ends or ``playing()``
    turns False. ``playing()`` is asked again after each pause, so a Reset or ❚❚ during the pause
    steps nothing more.

    Args:
        model: The model to play (the one on the page when ▶ was pressed).
        playing: Whether to go on.
        steps: The steps of a batch (*Render Interval*, read before each batch).
        pause: Waits between redraws (*Play Interval*).
        redraw: Shows the batch.
    """
    while playing() and model.running:
        pause()
        if not playing():
            return
        advance(model, steps())
        redraw()


class Drawn:
    """The last frame the panels have drawn, for the play thread to wait on.

    The play thread draws no faster than the page: it waits for each batch to be drawn before it
    steps again, so no redraw requests pile up behind a slow one (which would keep the server
    drawing, deaf to ❚❚ and Reset).
    """

    def __init__(self) -> None:
        self._frame = 0
        self._changed = threading.Condition()

    def mark(self, frame: int) -> None:
        """The panels of ``frame`` are drawn."""
        with self._changed:
            self._frame = frame
            self._changed.notify_all()

    def wait(self, frame: int, still: Callable[[], bool]) -> None:
        """Return once ``frame`` is drawn, or as soon as ``still()`` turns False."""
        with self._changed:
            while self._frame < frame and still():
                self._changed.wait(0.1)


@solara.component
def RunControls(
    model: solara.Reactive[CascadeModel],
    frame: solara.Reactive[int],
    drawn: Drawn,
    played: solara.Reactive[CascadeModel | None],
    on_reset: Callable[[], None],
) -> None:
    """Reset, ▶/❚❚ and Step, with the render and play intervals.

    Args:
        model: The model on the page; Reset replaces it (through ``on_reset``).
        frame: Bumped after each batch of steps, so the panels redraw.
        drawn: The frame the panels last drew (▶ waits for each).
        played: The model ▶ plays (None: paused). A new model is not the one played, so
            replacing the model pauses, in the same change.
        on_reset: Builds the model again from the settings.
    """
    render_interval = solara.use_reactive(RENDER_INTERVAL[0])
    play_interval = solara.use_reactive(100)
    error = solara.use_reactive("")
    running = model.value.running
    playing = played.value is model.value

    def batch() -> None:
        advance(model.value, render_interval.value)
        frame.set(frame.value + 1)

    def play(cancel: threading.Event) -> None:
        # the model this ▶ plays: a Reset (or a preset) replaces `model.value` and pauses, and
        # the new model is not this thread's to step
        this_run = played.value
        if this_run is None or this_run is not model.value:  # paused, or a model since replaced
            return

        def still_playing() -> bool:
            # the model's value changes the moment Reset sets it, before the page is redrawn
            return played.value is this_run is model.value and not cancel.is_set()

        def redraw() -> None:
            target = frame.value + 1
            frame.set(target)
            drawn.wait(target, still_playing)

        try:
            play_batches(
                this_run,
                still_playing,
                steps=lambda: render_interval.value,
                pause=lambda: time.sleep(play_interval.value / 1000),
                redraw=redraw,
            )
        except Exception as exc:  # noqa: BLE001 - any failure of a step is shown on the page
            traceback.print_exc()
            error.set(f"error in step: {exc}")
        if not cancel.is_set():  # the run ended (or failed); a newer ▶ is not this one's to stop
            played.set(None)

    solara.use_thread(play, dependencies=[playing, model.value], intrusive_cancel=False)

    def reset() -> None:
        error.set("")
        on_reset()

    with solara.Row(justify="space-between"):
        solara.Button(label="Reset", color="primary", on_click=reset)
        solara.Button(
            label="❚❚" if playing else "▶",
            color="primary",
            on_click=lambda: played.set(None if playing else model.value),
            disabled=not running,
        )
        solara.Button(
            label="Step", color="primary", on_click=batch, disabled=playing or not running
        )
    with Labelled("Render Interval (steps)", str(render_interval.value)):
        solara.SliderInt("", value=render_interval, min=RENDER_INTERVAL[0], max=RENDER_INTERVAL[1])
    with Labelled("Play Interval (ms)", str(play_interval.value)):
        solara.SliderInt(
            "", value=play_interval, min=PLAY_INTERVAL[0], max=PLAY_INTERVAL[1], step=10
        )
    if error.value:
        solara.Error(error.value)


@solara.component
def SettingInputs(settings: solara.Reactive[dict[str, float]], built: dict[str, float]) -> None:
    """One slider (or money box) per setting; each shows its value. They apply at Reset.

    Args:
        settings: The values of the settings this scenario has, as the controls stand.
        built: Their values in the model on the page (to say which await Reset).
    """
    knobs = [knob for knob in KNOBS if knob.key in settings.value]
    for knob in knobs:
        value = settings.value[knob.key]

        def change(new: float, key: str = knob.key) -> None:
            settings.set({**settings.value, key: float(new)})

        if knob.money:
            MoneyInput(knob.label, value, change)
        else:
            low, high, step = knob.slider(value)
            with Labelled(knob.label, number(value)):
                solara.SliderFloat("", value=value, min=low, max=high, step=step, on_value=change)
    pending = [k.label for k in knobs if settings.value[k.key] != built.get(k.key)]
    if pending:
        solara.Info(f"Reset to apply: {', '.join(pending)}", dense=True)


@solara.component
def Labelled(label: str, shown: str, children: list[solara.Element] = []) -> None:  # noqa: B006
    """A control under its label, with its value always shown at the label's end (a slider's
    own label would show it only while the slider has focus)."""
    with solara.Div(classes=["setting"]):
        with solara.Row(justify="space-between", style="margin-bottom: -16px"):
            solara.Text(label)
            solara.Text(shown, classes=["setting-value"], style="font-weight: bold")
        solara.Div(children=children)


@solara.component
def MoneyInput(label: str, value: float, on_value: Callable[[float], None]) -> None:
    """A text box for an amount (``28,000``, ``1.5M``): no slider rounds it.

    The amount applies when the box loses focus or on Enter; a typo is shown, not applied.
    """
    text = solara.use_reactive(number(value))
    problem = solara.use_reactive("")

    def outside_change() -> None:  # a preset switch sets a new amount
        text.set(number(value))
        problem.set("")

    solara.use_effect(outside_change, [value])

    def typed(new: str | None) -> None:
        text.set(new or "")
        try:
            amount = parse_money(new or "")
        except ValueError as exc:
            problem.set(str(exc))
            return
        problem.set("")
        on_value(amount)

    solara.InputText(
        label,
        value=text.value,
        on_value=typed,
        error=problem.value or False,
        message=problem.value or None,
    )
