"""The live run widget in a real kernel, as a front-end receives it on iopub: it updates while
the logging cell still runs, freezes at finish into a static snapshot, keeps quiet when told
to, falls back to plain HTML without a widget manager, and never breaks the run."""

from __future__ import annotations

from pathlib import Path

from tests.notebooks.conftest import (
    WIDGET_MIME,
    Kernel,
    Message,
    WidgetStates,
    badge,
    of_type,
    point_count,
    shown_step,
    stderr_text,
)

INIT = """
import nbrun
run = nbrun.init(project="widget", name="live-run", mode="offline", settings={settings})
"""

# Logs 10 steps per phase, then waits (without holding the GIL) until the test has seen the
# widget show them: the cell is still running whenever the test looks.
PHASED_LOOP = """
import time
from pathlib import Path
for phase in range(3):
    for _ in range(10):
        run.log({{"train/loss": 1 / (run.step + 1), "acc": run.step / 100}})
    deadline = time.monotonic() + 120
    while not Path({handover!r}, f"seen-{{phase}}").exists():
        assert time.monotonic() < deadline, f"the test never saw phase {{phase}} shown"
        time.sleep(0.01)
"""


def displayed(messages: list[Message]) -> list[Message]:
    return of_type(messages, "display_data")


def test_the_widget_updates_while_the_cell_runs_and_freezes_at_finish(
    kernel: Kernel, tmp_path: Path
) -> None:
    widgets = WidgetStates()
    shown = displayed(kernel.run(INIT.format(settings={"console": "off"}), widgets.fold))
    (output,) = shown
    assert WIDGET_MIME in output["content"]["data"]
    assert "Live charts need a Jupyter widget manager" in output["content"]["data"]["text/html"]
    display_id = output["content"]["transient"]["display_id"]
    assert badge(widgets.header()) == "Running"

    seen: list[tuple[int | None, int | None]] = []

    def watch(message: Message) -> None:
        if not widgets.fold(message):
            return
        state = (shown_step(widgets.header()), point_count(widgets.chart("train/loss")))
        if state != (seen[-1] if seen else None):
            seen.append(state)
        phase = len(list(tmp_path.glob("seen-*")))
        if state == (10 * phase + 9, 10 * phase + 10):  # this phase's last step and points
            (tmp_path / f"seen-{phase}").touch()

    kernel.run(PHASED_LOOP.format(handover=str(tmp_path)), watch)
    shown_while_running = [state for state in seen if None not in state]
    assert (9, 10) in shown_while_running
    assert (19, 20) in shown_while_running
    assert (29, 30) in shown_while_running
    assert shown_while_running == sorted(shown_while_running)  # never backwards

    finished = kernel.run("run.finish()", widgets.fold)
    assert badge(widgets.header()) == "Finished"  # the widget's own final state
    (update,) = of_type(finished, "update_display_data")
    assert update["content"]["transient"]["display_id"] == display_id
    snapshot = update["content"]["data"]["text/html"]
    assert WIDGET_MIME not in update["content"]["data"]
    assert badge(snapshot) == "Finished"
    assert shown_step(snapshot) == 29
    assert "title='train/loss'" in snapshot and "title='acc'" in snapshot
    assert "nbrun-summary" in snapshot


def test_charts_appear_in_sections_as_keys_appear(kernel: Kernel) -> None:
    widgets = WidgetStates()
    kernel.run(INIT.format(settings={"console": "off"}), widgets.fold)
    kernel.run(
        'run.define_metric("debug/*", hidden=True)\n'
        'run.log({"train/loss": 1.0, "debug/grad": 3.0})\n'
        'run.log({"train/loss": 0.5, "val/a/acc": 0.7})\n'
        "run.finish()",
        widgets.fold,
    )
    values = widgets.html_values()
    titles = [v for v in values if v.startswith("<summary")]
    assert any(">train <" in t for t in titles) and any(">val/a <" in t for t in titles)
    assert widgets.chart("train/loss") is not None and widgets.chart("val/a/acc") is not None
    assert widgets.chart("debug/grad") is None


def test_silent_mode_and_show_widget_false_show_nothing(kernel: Kernel) -> None:
    for settings in ({"silent": True, "console": "off"}, {"show_widget": False, "console": "off"}):
        messages = kernel.run(INIT.format(settings=settings) + "run.log({'a': 1})\nrun.finish()")
        assert not of_type(messages, "display_data", "update_display_data", "comm_open")
    silenced = kernel.run(
        "import os\nos.environ['NBRUN_SILENT'] = '1'\n"
        + INIT.format(settings={"console": "off"})
        + "run.finish()"
    )
    assert not of_type(silenced, "display_data", "update_display_data", "comm_open")


def test_without_a_widget_manager_plain_html_is_updated_by_display_id(
    kernel: Kernel, tmp_path: Path
) -> None:
    # Colab without the custom widget manager (no google.colab.output here): a stand-in module.
    kernel.run(
        "import sys, types\n"
        "google = types.ModuleType('google'); google.colab = types.ModuleType('google.colab')\n"
        "sys.modules.update({'google': google, 'google.colab': google.colab})"
    )
    messages = kernel.run(INIT.format(settings={"console": "off"}))
    (output,) = displayed(messages)
    assert WIDGET_MIME not in output["content"]["data"]
    display_id = output["content"]["transient"]["display_id"]
    steps: list[int | None] = []

    def watch(message: Message) -> None:
        if message["msg_type"] != "update_display_data":
            return
        assert message["content"]["transient"]["display_id"] == display_id
        html = message["content"]["data"]["text/html"]
        steps.append(shown_step(html))
        phase = len(list(tmp_path.glob("seen-*")))
        if shown_step(html) == 10 * phase + 9 and point_count(html) == 10 * phase + 10:
            (tmp_path / f"seen-{phase}").touch()

    looped = kernel.run(PHASED_LOOP.format(handover=str(tmp_path)), watch)
    assert not of_type(looped, "comm_open")
    assert {9, 19, 29} <= set(steps)
    finished = kernel.run("run.finish()")
    (update,) = of_type(finished, "update_display_data")
    assert badge(update["content"]["data"]["text/html"]) == "Finished"


def test_colab_gets_its_custom_widget_manager_enabled(kernel: Kernel) -> None:
    kernel.run(
        "import sys, types\n"
        "google = types.ModuleType('google'); google.colab = types.ModuleType('google.colab')\n"
        "google.colab.output = types.ModuleType('google.colab.output')\n"
        "enabled = []\n"
        "google.colab.output.enable_custom_widget_manager = lambda: enabled.append(True)\n"
        "sys.modules.update({'google': google, 'google.colab': google.colab,\n"
        "                    'google.colab.output': google.colab.output})"
    )
    messages = kernel.run(INIT.format(settings={"console": "off"}) + "assert enabled == [True]")
    (output,) = displayed(messages)
    assert WIDGET_MIME in output["content"]["data"]
    kernel.run("run.finish()")


def test_a_failing_widget_is_reported_once_and_never_breaks_the_run(kernel: Kernel) -> None:
    kernel.run(INIT.format(settings={"console": "off"}))
    # Fault injection: the run's status (read by every widget update) starts failing.
    messages = kernel.run(
        "import time\n"
        "def broken():\n"
        "    raise RuntimeError('status unavailable')\n"
        "run.status = broken\n"
        "for step in range(50):\n"
        "    run.log({'loss': 1 / (step + 1)})\n"
        "    time.sleep(0.02)\n"
        "run.finish()\n"
        "history = nbrun.Api().run(run.dir.rsplit('/files', 1)[0]).history()\n"
        "assert len(history) == 50, len(history)\n"
    )
    errors = stderr_text(messages)
    assert errors.count("the live widget stopped updating") <= 1
    assert "status unavailable" in errors
    assert not of_type(messages, "error")


def test_an_online_run_links_its_page_and_shows_it_synced(kernel: Kernel) -> None:
    widgets = WidgetStates()
    kernel.run(
        "import nbrun\n"
        "run = nbrun.init(project='widget', name='online-run', settings={'console': 'off'})\n"
        "assert run.url",
        widgets.fold,
    )
    header = widgets.header() or ""
    assert "<a href='http://127.0.0.1:" in header and "online-run</a>" in header
    finished = kernel.run("run.log({'loss': 0.5})\nrun.finish()\nprint(run.url)", widgets.fold)
    (url,) = [
        m["content"]["text"].strip()
        for m in of_type(finished, "stream")
        if m["content"]["name"] == "stdout"
    ]
    (update,) = of_type(finished, "update_display_data")
    snapshot = update["content"]["data"]["text/html"]
    assert f"href='{url}'" in snapshot
    assert ">synced<" in snapshot
