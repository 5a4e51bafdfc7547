"""The curriculum (knowledge/curriculum.yaml): tracks made of stages made of daily tasks.

Validated at load with every problem listed at once, because the file is edited by hand and a
task that points at a renamed section would otherwise send learners to a dead link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_FULL_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TASK_KINDS = ("learn", "practice", "project", "review")
_HEADING = re.compile(r"^##[ \t]+(.+?)\s*#*\s*$", re.M)
_TITLE = re.compile(r"^title:\s*(.+?)\s*$", re.M)


class CurriculumError(ValueError):
    """The curriculum file is invalid; the message lists every problem found."""


@dataclass(frozen=True)
class SectionRef:
    doc: str  # knowledge file stem, e.g. "04-math"
    heading: str
    title: str  # the document's title, for citations

    @property
    def label(self) -> str:
        return f"{self.title} › {self.heading}"

    @property
    def source(self) -> str:
        return f"knowledge/{self.doc}.md"


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    kind: str
    minutes: int
    core: bool
    sections: tuple[SectionRef, ...]
    details: str
    stage: str


@dataclass(frozen=True)
class Stage:
    id: str
    title: str
    summary: str
    requires: tuple[str, ...]
    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class Track:
    id: str
    name: str
    description: str
    daily_minutes: int
    active_days: frozenset[int]  # 0 = Monday
    core_only: bool
    stages: tuple[str, ...]


@dataclass(frozen=True)
class Curriculum:
    tracks: dict[str, Track]
    stages: dict[str, Stage]
    tasks: dict[str, Task]

    def track_tasks(self, track_id: str) -> list[Task]:
        """The tasks of a track, in study order."""
        track = self.tracks[track_id]
        return [
            t
            for sid in track.stages
            for t in self.stages[sid].tasks
            if t.core or not track.core_only
        ]

    def stage_tasks(self, track_id: str, stage_id: str) -> list[Task]:
        track = self.tracks[track_id]
        return [t for t in self.stages[stage_id].tasks if t.core or not track.core_only]


def knowledge_sections(knowledge_dir: Path) -> dict[str, tuple[str, set[str]]]:
    """{doc stem: (title, {## headings})} read straight from the Markdown files."""
    out: dict[str, tuple[str, set[str]]] = {}
    for path in sorted(Path(knowledge_dir).glob("*.md")):
        text = path.read_text(encoding="utf-8", errors="replace")
        m = _TITLE.search(text.split("\n---", 2)[0]) if text.startswith("---") else None
        title = m.group(1).strip().strip("\"'") if m else path.stem
        out[path.stem] = (title, {h.strip() for h in _HEADING.findall(text)})
    return out


def parse_days(value: object) -> frozenset[int]:
    """'mon-fri', 'mon,wed,fri', 'every day', 'weekdays', ['mon', 'tue'] -> {0, 1, ...}."""
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        text = str(value).lower().strip()
        aliases = {
            "every day": "mon-sun",
            "everyday": "mon-sun",
            "daily": "mon-sun",
            "all": "mon-sun",
            "weekdays": "mon-fri",
            "weekends": "sat-sun",
            "weekend": "sat-sun",
        }
        text = aliases.get(text, text)
        items = [p for p in re.split(r"[,\s]+", text) if p]
    days: set[int] = set()
    for item in items:
        item = item.lower().strip()[:3] if "-" not in item else item.lower().strip()
        if "-" in item:
            a, _, b = item.partition("-")
            a, b = a.strip()[:3], b.strip()[:3]
            if a not in DAY_NAMES or b not in DAY_NAMES:
                raise ValueError(f"unknown day range '{item}'")
            i, j = DAY_NAMES.index(a), DAY_NAMES.index(b)
            days.update(range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)])
        elif item in DAY_NAMES:
            days.add(DAY_NAMES.index(item))
        else:
            raise ValueError(f"unknown day '{item}'")
    if not days:
        raise ValueError("no days given")
    return frozenset(days)


def load_curriculum(path: Path, knowledge_dir: Path | None = None) -> Curriculum:
    """Strict: any problem, including a link to a missing section, raises CurriculumError."""
    curriculum, problems = _load(path, knowledge_dir, strict=True)
    return curriculum


def load_curriculum_lenient(
    path: Path, knowledge_dir: Path | None = None
) -> tuple[Curriculum, list[str]]:
    """For a running bot: tasks whose sections disappeared (an admin removed or renamed them)
    are left out and reported, so learners move on instead of seeing errors. Anything else
    wrong with the file still raises."""
    return _load(path, knowledge_dir, strict=False)


def _load(path: Path, knowledge_dir: Path | None, strict: bool) -> tuple[Curriculum, list[str]]:  # noqa: C901
    path = Path(path)
    knowledge_dir = Path(knowledge_dir) if knowledge_dir else path.parent
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CurriculumError(f"{path}: cannot be read as YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise CurriculumError(f"{path}: expected a mapping with 'tracks' and 'stages'")
    errors: list[str] = []
    problems: list[str] = []  # broken links (errors when strict, reported when lenient)
    docs = knowledge_sections(knowledge_dir)

    stages: dict[str, Stage] = {}
    tasks: dict[str, Task] = {}
    for si, s in enumerate(raw.get("stages") or []):
        sid = str(s.get("id") or f"#{si + 1}")
        where = f"stage '{sid}'"
        if sid in stages:
            errors.append(f"{where}: duplicate stage id")
        stage_tasks: list[Task] = []
        for ti, t in enumerate(s.get("tasks") or []):
            tid = str(t.get("id") or f"{sid}#{ti + 1}")
            tw = f"task '{tid}' (stage '{sid}')"
            if tid in tasks:
                errors.append(f"{tw}: duplicate task id")
            kind = t.get("kind")
            if kind not in TASK_KINDS:
                errors.append(f"{tw}: kind must be one of {', '.join(TASK_KINDS)}, not {kind!r}")
            minutes = t.get("minutes")
            if not isinstance(minutes, int) or not 5 <= minutes <= 600:
                errors.append(
                    f"{tw}: minutes must be a whole number from 5 to 600, not {minutes!r}"
                )
                minutes = 60
            if not str(t.get("title") or "").strip():
                errors.append(f"{tw}: missing title")
            refs: list[SectionRef] = []
            broken = False
            links = t.get("sections") or []
            if not links:
                errors.append(f"{tw}: needs at least one knowledge section in 'sections'")
            for link in links:
                doc, _, heading = str(link).partition("#")
                doc, heading = doc.strip().removesuffix(".md"), heading.strip()
                if doc not in docs:
                    problems.append(f"{tw}: links to missing document '{doc}'")
                    broken = True
                elif heading not in docs[doc][1]:
                    problems.append(f"{tw}: links to missing section '{heading}' in '{doc}'")
                    broken = True
                else:
                    refs.append(SectionRef(doc, heading, docs[doc][0]))
            task = Task(
                tid,
                str(t.get("title") or "").strip(),
                str(kind),
                int(minutes),
                bool(t.get("core", False)),
                tuple(refs),
                " ".join(str(t.get("details") or "").split()),
                sid,
            )
            if broken and not strict:
                continue
            tasks[tid] = task
            stage_tasks.append(task)
        if not stage_tasks:
            (errors if strict else problems).append(f"{where}: has no tasks")
        stages[sid] = Stage(
            sid,
            str(s.get("title") or sid),
            str(s.get("summary") or ""),
            tuple(str(r) for r in s.get("requires") or []),
            tuple(stage_tasks),
        )
    for stage in stages.values():
        for req in stage.requires:
            if req not in stages:
                errors.append(f"stage '{stage.id}': requires unknown stage '{req}'")

    tracks: dict[str, Track] = {}
    for ki, k in enumerate(raw.get("tracks") or []):
        kid = str(k.get("id") or f"#{ki + 1}")
        where = f"track '{kid}'"
        try:
            days = parse_days(k.get("active_days") or "mon-sun")
        except ValueError as exc:
            errors.append(f"{where}: {exc}")
            days = frozenset(range(7))
        daily = k.get("daily_minutes")
        if not isinstance(daily, int) or not 15 <= daily <= 720:
            errors.append(f"{where}: daily_minutes must be 15..720, not {daily!r}")
            daily = 60
        order = [str(x) for x in k.get("stages") or []]
        core_only = bool(k.get("core_only", False))
        seen: set[str] = set()
        for sid in order:
            if sid not in stages:
                errors.append(f"{where}: unknown stage '{sid}'")
                continue
            for req in stages[sid].requires:
                if req not in seen:
                    errors.append(f"{where}: stage '{sid}' comes before its prerequisite '{req}'")
            if core_only and not any(t.core for t in stages[sid].tasks):
                (errors if strict else problems).append(f"{where}: stage '{sid}' has no core task")
            seen.add(sid)
        if not order:
            errors.append(f"{where}: has no stages")
        tracks[kid] = Track(
            kid,
            str(k.get("name") or kid),
            str(k.get("description") or ""),
            int(daily),
            days,
            core_only,
            tuple(order),
        )
    if not tracks:
        errors.append("no tracks defined")
    if strict:
        errors = problems + errors
    if errors:
        raise CurriculumError(
            f"{path.name} has {len(errors)} problem(s):\n- " + "\n- ".join(errors)
        )
    return Curriculum(tracks, stages, tasks), problems
