"""Running a schedule on a timer: a crontab line or a systemd user timer, printed or installed.

``workbench schedule SCHEDULE.yml --cron "0 6 1 * *"`` prints the line that runs the schedule
with this installation's own ``workbench`` (absolute paths: cron starts with an empty PATH), from
the project folder, in UTF-8, appending its output to ``<log>``; ``--install`` adds it to the
user's crontab, replacing an earlier line for the same schedule. ``--systemd`` gives a service
and a timer instead (``OnCalendar`` converted from the cron expression), written to
``~/.config/systemd/user`` with ``--install``. Exit codes of the run stay those of
``workbench run`` (0 ok, 1 a report failed, 2 usage, 3 data), which cron mails and systemd logs.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ScheduleCommand", "check_cron", "on_calendar", "install_crontab", "write_systemd_units"]

_FIELDS = ("minute", "hour", "day of month", "month", "day of week")
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_ITEM = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?$")
_MACROS = {"@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0", "@daily": "0 0 * * *",
           "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@hourly": "0 * * * *"}


def check_cron(expression: str) -> str:
    """The expression's five fields, checked (numbers, ``*``, ranges, lists, steps, macros).

    Raises
    ------
    ValueError
        Naming the field and the value, e.g. ``hour '25' is outside 0-23``.
    """
    text = _MACROS.get(expression.strip(), expression.strip())
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f"cron expression {expression!r}: give five fields (minute hour "
                         "day-of-month month day-of-week), e.g. '0 6 1 * *' for 06:00 on the 1st")
    for name, (lo, hi), field in zip(_FIELDS, _RANGES, fields, strict=True):
        for item in field.split(","):
            if not _ITEM.match(item):
                raise ValueError(f"cron {name} {field!r}: use numbers, *, a-b ranges, lists and /steps")
            for number in re.findall(r"\d+", item.split("/")[0]):
                if not lo <= int(number) <= hi:
                    raise ValueError(f"cron {name} {number!r} is outside {lo}-{hi}")
            if "/" in item and int(item.split("/")[1]) == 0:
                raise ValueError(f"cron {name} {item!r}: a step of 0 never fires")
    return " ".join(fields)


def _calendar_field(field: str, *, zero: int, width: int = 2) -> str:
    if field == "*":
        return "*"
    out = []
    for item in field.split(","):
        base, _, step = item.partition("/")
        base = str(zero) if base == "*" else base
        part = "..".join(p.zfill(width) for p in base.split("-"))
        out.append(part + (f"/{step}" if step else ""))
    return ",".join(out)


def on_calendar(expression: str) -> str:
    """systemd ``OnCalendar`` for a cron expression: ``0 6 1 * *`` -> ``*-*-01 06:00:00``."""
    minute, hour, dom, month, dow = check_cron(expression).split()
    days = ""
    if dow != "*":
        names = []
        for item in dow.split(","):
            if "/" in item:
                raise ValueError(f"cron day of week {dow!r}: steps cannot be converted for systemd")
            ends = [_DAYS[int(x)] for x in item.split("-")]
            names.append("..".join(ends))
        days = ",".join(names) + " "
    date = f"*-{_calendar_field(month, zero=1)}-{_calendar_field(dom, zero=1)}"
    time = f"{_calendar_field(hour, zero=0)}:{_calendar_field(minute, zero=0)}:00"
    return f"{days}{date} {time}"


@dataclass(frozen=True)
class ScheduleCommand:
    """How to run one schedule unattended: the program, the files and where the log goes."""

    schedule: Path
    workbench: Path
    project: Path
    log: Path

    @property
    def name(self) -> str:
        return "crm-workbench-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", self.schedule.stem)

    @property
    def marker(self) -> str:
        return f"# {self.name}: {self.schedule}"

    def argv(self) -> list[str]:
        return [str(self.workbench), "run", "--schedule", str(self.schedule)]

    def cron_line(self, expression: str) -> str:
        cmd = " ".join(shlex.quote(a) for a in self.argv())
        return (f"{check_cron(expression)} cd {shlex.quote(str(self.project))} && LANG=C.UTF-8 "
                f"{cmd} >> {shlex.quote(str(self.log))} 2>&1  {self.marker}")

    def systemd_units(self, expression: str) -> dict[str, str]:
        service = f"""[Unit]
Description=CRM Workbench: run the schedule {self.schedule.name}

[Service]
Type=oneshot
WorkingDirectory={self.project}
Environment=LANG=C.UTF-8
ExecStart={" ".join(shlex.quote(a) for a in self.argv())}
StandardOutput=append:{self.log}
StandardError=append:{self.log}
"""
        timer = f"""[Unit]
Description=CRM Workbench: timer of the schedule {self.schedule.name} (cron {check_cron(expression)})

[Timer]
OnCalendar={on_calendar(expression)}
Persistent=true

[Install]
WantedBy=timers.target
"""
        return {f"{self.name}.service": service, f"{self.name}.timer": timer}


def install_crontab(command: ScheduleCommand, expression: str) -> str:
    """Add the line to the user's crontab, replacing the line of an earlier install."""
    crontab = shutil.which("crontab")
    if crontab is None:
        raise OSError("the crontab program is not installed here: install cron, or use --systemd")
    listed = subprocess.run([crontab, "-l"], capture_output=True, text=True, check=False)
    current = listed.stdout if listed.returncode == 0 else ""  # "no crontab for user": exit 1
    kept = [ln for ln in current.splitlines() if not ln.rstrip().endswith(command.marker)]
    line = command.cron_line(expression)
    text = "\n".join([*kept, line]) + "\n"
    done = subprocess.run([crontab, "-"], input=text, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise OSError(f"crontab refused the new table: {done.stderr.strip() or done.returncode}")
    return line


def write_systemd_units(command: ScheduleCommand, expression: str, *, folder: Path) -> list[Path]:
    """Write the service and timer into `folder` (``~/.config/systemd/user``); their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in command.systemd_units(expression).items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
