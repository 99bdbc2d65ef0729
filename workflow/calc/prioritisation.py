"""Prioritisation in the digitaliseringsråd (docs/prioritisation.md: scoring, demand vs capacity).

The council ranks competing proposals with a transparent scoring and sees what fits the
förvaltning's yearly capacity (KPMG 001:988-989: the council discusses, prioritises and decides
what goes on; Göteborg 003:724-760: mandatory cases "prioritise themselves").

Rules:

- **Criteria** (nytta, angelägenhet, genomförbarhet, risk, strategisk koppling by default) and
  their **weights** are configurable in ``config/prioritisation.toml``; ``load_config`` is the
  only I/O here. Every member scores every criterion with a whole number from 1 to 5.
- An **inverted** criterion (risk) counts ``6 - score``: a high risk score counts against the
  proposal. The per-criterion means shown are of the scores as given (risk 4.50 = high risk).
- A member's **weighted score** is ``sum(w * s') / sum(w)`` over the criteria, where ``s'`` is
  the score, inverted where configured; it stays on the 1-5 scale. The proposal's **weighted
  mean** is the mean of its members' weighted scores (the same as the weighted mean of the
  per-criterion means). The **spread** is the population standard deviation of the members'
  weighted scores, and their max - min: a large spread tells the council to talk before it
  decides. Shown values are rounded half up to 2 decimals; arithmetic is exact until then.
- **Ranking**: scored, non-mandatory proposals by weighted mean (as shown, 2 decimals), highest
  first, with competition ranking: equal means share a rank and the next rank skips
  ("1, 2, 2, 4"); proposals sharing a rank are listed by case id.
- **Mandatory** proposals (law, expiring contract, city-wide initiative) are not ranked but stay
  in the list, first. **Unscored** proposals (no member score that follows the current criteria)
  are not ranked either and come last. A member score that does not match the current criteria
  (the configuration changed after scoring) does not count, with a warning.
- **Capacity**: the proposals are taken in the council's order: mandatory first (their cost
  counts regardless), then the council's own ``priority_order`` if given, else by rank; the rest
  (unscored, or left out of the order) last, as handed in. Cost and hours accumulate; a proposal
  **fits** while both running totals are within the förvaltning's yearly budget and hours
  (equal to the limit fits). Once one does not fit, none after it does: the order is the
  council's priority. A missing cost or hour estimate counts as 0 with a warning.

Results are frozen dataclasses with ``to_dict()`` (Decimals as strings, kronor as ints).
"""
from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from workflow.states.guards import Failure
from workflow.states.i18n import N_

DEFAULT_CONFIG_FILE = Path(__file__).resolve().parents[2] / "config" / "prioritisation.toml"

SCALE_MIN = 1
SCALE_MAX = 5
# An inverted criterion counts INVERSION_BASE - score: 1 <-> 5, 2 <-> 4, 3 stays 3.
INVERSION_BASE = SCALE_MIN + SCALE_MAX

Status = Literal["ranked", "mandatory", "unscored"]
STATUSES: dict[str, str] = {
    "ranked": N_("Rangordnat"),
    "mandatory": N_("Obligatoriskt: rangordnas inte men räknas mot kapaciteten"),
    "unscored": N_("Inte bedömt ännu"),
}

# --- Configuration -----------------------------------------------------------------------------

CriterionId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Kronor = Annotated[int, Field(strict=True, ge=0, le=10**12)]
Hours = Annotated[int, Field(strict=True, ge=0, le=10**7)]
Label = Annotated[str, Field(min_length=1, max_length=100)]


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a number written without quotes")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return Decimal(str(value))


Weight = Annotated[Decimal, BeforeValidator(_number), Field(gt=0, le=1000)]
_WEIGHT = TypeAdapter(Weight)


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    id: CriterionId
    label_sv: Label
    label_en: Label
    weight: Weight
    inverted: Annotated[bool, Field(strict=True)] = False
    description_sv: Annotated[str, Field(min_length=1, max_length=300)]

    @field_validator("description_sv")
    @classmethod
    def _one_line(cls, text: str) -> str:
        if "\n" in text or "\r" in text:
            raise ValueError("must be one line")
        return text

    def effective(self, score: int) -> int:
        """The score as it counts in the weighted mean."""
        return INVERSION_BASE - score if self.inverted else score

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label_sv": self.label_sv, "label_en": self.label_en,
                "weight": str(self.weight), "inverted": self.inverted,
                "description_sv": self.description_sv}


class Capacity(BaseModel):
    """What a förvaltning can develop in one year."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    yearly_budget_sek: Kronor
    yearly_hours: Hours


class _CapacityOverride(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    yearly_budget_sek: Kronor | None = None
    yearly_hours: Hours | None = None


@dataclass(frozen=True)
class PrioritisationConfig:
    source: str
    criteria: tuple[Criterion, ...]
    default_capacity: Capacity
    department_capacity: Mapping[str, Capacity]
    department_weights: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)

    @property
    def criterion_ids(self) -> tuple[str, ...]:
        return tuple(criterion.id for criterion in self.criteria)

    def for_department(self, department: str) -> "PrioritisationConfig":
        """The configuration with the förvaltning's own weights, where it has any."""
        weights = self.department_weights.get(department)
        if not weights:
            return self
        criteria = tuple(c.model_copy(update={"weight": weights.get(c.id, c.weight)})
                         for c in self.criteria)
        return replace(self, criteria=criteria)

    def capacity_for(self, department: str) -> Capacity:
        return self.department_capacity.get(department, self.default_capacity)

    def to_dict(self) -> dict[str, Any]:
        return {
            "criteria": [criterion.to_dict() for criterion in self.criteria],
            "default_capacity": self.default_capacity.model_dump(),
            "department_capacity": {name: limits.model_dump()
                                    for name, limits in self.department_capacity.items()},
            "department_weights": {name: {k: str(v) for k, v in weights.items()}
                                   for name, weights in self.department_weights.items()},
        }


class PrioritisationConfigError(ValueError):
    """A configuration file that cannot be used, with where and how to fix it."""

    def __init__(self, source: str, entry: str, problem: str, fix: str):
        self.source, self.entry, self.problem, self.fix = source, entry, problem, fix
        super().__init__(f"{source}: {entry}: {problem}. {fix}")


def load_config(path: Path) -> PrioritisationConfig:
    """Read and check a prioritisation file (config/prioritisation.toml)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PrioritisationConfigError(str(path), "TOML", f"cannot be parsed ({exc})",
                                        "Correct the syntax.") from exc
    return parse_config(data, source=str(path))


_TOP_LEVEL = ("criteria", "capacity", "weights")


def parse_config(data: Mapping[str, Any], *, source: str) -> PrioritisationConfig:
    unknown = sorted(set(data) - set(_TOP_LEVEL))
    if unknown:
        raise PrioritisationConfigError(source, unknown[0], "is not a known key or table",
                                        "Use only [[criteria]], [capacity] and [weights].")
    default, departments = _parse_capacity(data.get("capacity"), source)
    criteria = _parse_criteria(data.get("criteria"), source)
    return PrioritisationConfig(source, criteria, default, departments,
                                _parse_weights(data.get("weights", {}), criteria, source))


def _parse_weights(raw: Any, criteria: tuple[Criterion, ...],
                   source: str) -> dict[str, dict[str, Decimal]]:
    """[weights."Förvaltning"]: a förvaltning's own weights for some criteria."""
    ids = {c.id for c in criteria}
    if not isinstance(raw, Mapping):
        raise PrioritisationConfigError(source, "[weights]", "must be a table",
                                        'Write [weights."Socialförvaltningen"] tables.')
    weights: dict[str, dict[str, Decimal]] = {}
    for department, table in raw.items():
        entry = f'[weights."{department}"]'
        if not isinstance(table, Mapping) or not table:
            raise PrioritisationConfigError(source, entry, "must list criterion = weight",
                                            "Write e.g. benefit = 4.")
        for key, value in table.items():
            if key not in ids:
                raise PrioritisationConfigError(source, f"{entry}: {key}", "is not a criterion",
                                                f"Use one of: {', '.join(sorted(ids))}.")
            try:
                checked = _WEIGHT.validate_python(value)
            except ValidationError as exc:
                raise PrioritisationConfigError(
                    source, f"{entry}: {key}", "must be a positive number",
                    _CRITERION_FIXES["weight"]) from exc
            weights.setdefault(str(department), {})[key] = checked
    return weights


def _parse_criteria(raw: Any, source: str) -> tuple[Criterion, ...]:
    if not isinstance(raw, list) or not raw:
        raise PrioritisationConfigError(
            source, "[[criteria]]", "is missing or holds no entries",
            "Add at least one [[criteria]] entry with id, label_sv, label_en, weight and "
            "description_sv.")
    criteria = tuple(_parse_criterion(entry, number, source)
                     for number, entry in enumerate(raw, start=1))
    first_seen: dict[str, int] = {}
    for number, criterion in enumerate(criteria, start=1):
        if criterion.id in first_seen:
            raise PrioritisationConfigError(
                source, f'[[criteria]] entry {number} (id "{criterion.id}")',
                f"repeats the id of entry {first_seen[criterion.id]}",
                "Give every criterion its own id.")
        first_seen[criterion.id] = number
    return criteria


_CRITERION_FIXES = {
    "id": "Use lower case English letters, digits and _, starting with a letter "
          "(e.g. strategic_fit).",
    "weight": "Write the weight as a positive number without quotes, e.g. 2 or 1.5.",
    "inverted": "Write true or false without quotes.",
    "description_sv": "Write one line (at most 300 characters) saying what 1 and 5 mean.",
}


def _parse_criterion(entry: Any, number: int, source: str) -> Criterion:
    name = f"[[criteria]] entry {number}"
    if isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
        name += f' (id "{entry["id"]}")'
    try:
        return Criterion.model_validate(entry)
    except ValidationError as exc:
        key, message, kind = _first_error(exc)
        fix = _GENERAL_FIXES.get(kind) or _CRITERION_FIXES.get(
            key, "Write labels as text of 1 to 100 characters.")
        raise PrioritisationConfigError(source, f"{name}: {key}", message, fix) from exc


_GENERAL_FIXES = {
    "missing": "Add the key to the entry.",
    "extra_forbidden": "Remove the key or correct its spelling.",
}
_AMOUNT_FIX = ("Write yearly_budget_sek as whole kronor and yearly_hours as whole hours, from 0 "
               "and without quotes (3000000, 4000).")


def _parse_capacity(raw: Any, source: str) -> tuple[Capacity, dict[str, Capacity]]:
    if not isinstance(raw, Mapping):
        raise PrioritisationConfigError(source, "[capacity]", "is missing",
                                        "Add [capacity] with yearly_budget_sek and yearly_hours.")
    defaults = {key: value for key, value in raw.items() if not isinstance(value, Mapping)}
    default = _validate_capacity(Capacity, defaults, "[capacity]", source)
    departments = {}
    for name, override in raw.items():
        if isinstance(override, Mapping):
            departments[name] = _department_capacity(name, override, default, source)
    return default, departments


def _department_capacity(name: str, raw: Mapping[str, Any], default: Capacity,
                         source: str) -> Capacity:
    entry = f'[capacity."{name}"]'
    if not name.strip() or name != name.strip():
        raise PrioritisationConfigError(
            source, entry, "is not a förvaltning's name",
            "Write the name exactly as in the organisation register, without spaces around it.")
    override = _validate_capacity(_CapacityOverride, raw, entry, source)
    given = override.model_dump(exclude_none=True)
    if not given:
        raise PrioritisationConfigError(source, entry, "holds no figures",
                                        "Add yearly_budget_sek and/or yearly_hours, or remove "
                                        "the table.")
    return default.model_copy(update=given)


def _validate_capacity(model: type[BaseModel], raw: Mapping[str, Any], entry: str,
                       source: str) -> Any:
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        key, message, kind = _first_error(exc)
        fix = _GENERAL_FIXES.get(kind, _AMOUNT_FIX)
        if kind == "extra_forbidden" and model is Capacity:
            fix += (' A förvaltning\'s own figures go in a table of their own: '
                    '[capacity."Förvaltningens namn"].')
        raise PrioritisationConfigError(source, f"{entry}: {key}", message, fix) from exc


def _first_error(exc: ValidationError) -> tuple[str, str, str]:
    # A misspelt key also shows as a missing one: name the misspelling first.
    error = min(exc.errors(), key=lambda err: err["type"] != "extra_forbidden")
    key = ".".join(str(part) for part in error["loc"]) or "entry"
    return key, error["msg"], error["type"]


# --- Scoring input -----------------------------------------------------------------------------

ScoreValue = Annotated[int, Field(strict=True, ge=SCALE_MIN, le=SCALE_MAX)]


class Score(BaseModel):
    """One member's scoring of one proposal, as the form or the API sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    scores: Annotated[dict[CriterionId, ScoreValue], Field(max_length=50)]
    comment: Annotated[str, Field(max_length=1000)] = ""


class ScoreError(ValueError):
    """Scores that do not follow the configured criteria; one Failure per bad criterion."""

    def __init__(self, failures: Sequence[Failure]):
        self.failures = tuple(failures)
        super().__init__("\n".join(failure.message % dict(failure.params)
                                   for failure in self.failures))


def validate_scores(config: PrioritisationConfig, raw: Any) -> dict[str, int]:
    """Check ``raw`` (criterion id -> score) against the configured criteria.

    Returns the scores in the criteria's order, or raises ScoreError listing every unknown
    criterion, every missing one and every score that is not a whole number from 1 to 5.
    """
    if not isinstance(raw, Mapping):
        raise ScoreError([Failure("scores_not_mapping",
                                  N_("Betygen saknas. Ge varje kriterium ett betyg från "
                                     "%(min)s till %(max)s."),
                                  {"min": SCALE_MIN, "max": SCALE_MAX})])
    known = set(config.criterion_ids)
    failures = [_unknown_criterion(str(key)) for key in raw if key not in known]
    for criterion in config.criteria:
        failures.extend(_score_problems(criterion, raw))
    if failures:
        raise ScoreError(failures)
    return {criterion.id: raw[criterion.id] for criterion in config.criteria}


def _unknown_criterion(key: str) -> Failure:
    return Failure("score_unknown_criterion",
                   N_("Bedömningsmallen har inget kriterium som heter %(criterion)s. Ta bort "
                      "det betyget."),
                   {"criterion": key})


def _score_problems(criterion: Criterion, raw: Mapping[str, Any]) -> list[Failure]:
    params = {"criterion": criterion.id, "label": criterion.label_sv,
              "min": SCALE_MIN, "max": SCALE_MAX}
    if criterion.id not in raw or raw[criterion.id] is None:
        return [Failure("score_missing",
                        N_("%(label)s: betyg saknas. Ge ett betyg från %(min)s till %(max)s."),
                        params)]
    value = raw[criterion.id]
    if isinstance(value, bool) or not isinstance(value, int):
        return [Failure("score_not_whole_number",
                        N_("%(label)s: betyget måste vara ett heltal från %(min)s till "
                           "%(max)s."),
                        {**params, "value": str(value)})]
    if not SCALE_MIN <= value <= SCALE_MAX:
        return [Failure("score_out_of_range",
                        N_("%(label)s: betyget %(value)s ligger utanför skalan. Ge ett betyg "
                           "från %(min)s till %(max)s."),
                        {**params, "value": value})]
    return []


@dataclass(frozen=True)
class MemberScore:
    """A council member's stored scores for one proposal (criterion id -> 1..5)."""

    member: str
    scores: Mapping[str, int]


@dataclass(frozen=True)
class Proposal:
    case_id: int
    title: str
    mandatory: bool
    cost_sek: int | None
    hours: int | None
    member_scores: Sequence[MemberScore] = ()

    def __post_init__(self) -> None:
        for name in ("cost_sek", "hours"):
            value = getattr(self, name)
            if value is not None and not _is_whole(value):
                raise ValueError(f"Proposal {self.case_id}: {name} must be a whole number "
                                 "from 0 or None")
        members = [score.member for score in self.member_scores]
        if len(set(members)) != len(members):
            raise ValueError(f"Proposal {self.case_id}: a member scored it more than once")


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# --- Ranking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    case_id: int
    title: str
    mandatory: bool
    cost_sek: int | None
    hours: int | None
    status: Status
    rank: int | None = None
    scorers: int = 0
    weighted_mean: Decimal | None = None
    criterion_means: Mapping[str, Decimal] | None = None
    member_weighted: Mapping[str, Decimal] | None = None
    spread_stdev: Decimal | None = None
    spread_range: Decimal | None = None
    warnings: tuple[Failure, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "title": self.title,
            "mandatory": self.mandatory,
            "cost_sek": self.cost_sek,
            "hours": self.hours,
            "status": self.status,
            "rank": self.rank,
            "scorers": self.scorers,
            "weighted_mean": _str(self.weighted_mean),
            "criterion_means": _str_values(self.criterion_means),
            "member_weighted": _str_values(self.member_weighted),
            "spread_stdev": _str(self.spread_stdev),
            "spread_range": _str(self.spread_range),
            "warnings": [_failure_dict(failure) for failure in self.warnings],
        }


def evaluate(config: PrioritisationConfig, proposals: Sequence[Proposal]) -> list[Ranked]:
    """Score and rank the proposals: mandatory first, then by rank, unscored last."""
    _require_unique([proposal.case_id for proposal in proposals], "case id")
    assessed = [_assess(config, proposal) for proposal in proposals]
    ranks = competition_ranks({item.case_id: item.weighted_mean for item in assessed
                               if item.status == "ranked"})
    ranked = [replace(item, rank=ranks.get(item.case_id)) for item in assessed]
    return sorted(ranked, key=_display_key)


def competition_ranks(values: Mapping[int, Any]) -> dict[int, int]:
    """Rank keys by value, highest first; equal values share a rank ("1, 2, 2, 4")."""
    return {key: 1 + sum(other > value for other in values.values())
            for key, value in values.items()}


def _display_key(item: Ranked) -> tuple[int, int, int]:
    group = {"mandatory": 0, "ranked": 1, "unscored": 2}[item.status]
    return group, item.rank or 0, item.case_id


def _assess(config: PrioritisationConfig, proposal: Proposal) -> Ranked:
    base = {"case_id": proposal.case_id, "title": proposal.title,
            "mandatory": proposal.mandatory, "cost_sek": proposal.cost_sek,
            "hours": proposal.hours}
    if proposal.mandatory:
        return Ranked(**base, status="mandatory")
    counted, warnings = _counted_scores(config, proposal)
    if not counted:
        return Ranked(**base, status="unscored", warnings=warnings)
    weighted = {member: _weighted_score(config, scores) for member, scores in counted.items()}
    mean = _mean(weighted.values())
    variance = _mean([(score - mean) ** 2 for score in weighted.values()])
    return Ranked(
        **base, status="ranked", scorers=len(counted),
        weighted_mean=_round2(mean),
        criterion_means={criterion.id: _round2(_mean([scores[criterion.id]
                                                      for scores in counted.values()]))
                         for criterion in config.criteria},
        member_weighted={member: _round2(score) for member, score in weighted.items()},
        spread_stdev=_round2_sqrt(variance),
        spread_range=_round2(max(weighted.values()) - min(weighted.values())),
        warnings=warnings,
    )


def _counted_scores(config: PrioritisationConfig,
                    proposal: Proposal) -> tuple[dict[str, dict[str, int]], tuple[Failure, ...]]:
    counted, warnings = {}, []
    for member_score in proposal.member_scores:
        try:
            counted[member_score.member] = validate_scores(config, member_score.scores)
        except ScoreError:
            warnings.append(Failure(
                "member_score_outdated",
                N_("Ledamoten %(member)s har bedömt ärende %(id)s efter kriterier som inte längre "
                   "gäller, så bedömningen räknas inte. Be ledamoten bedöma ärendet igen."),
                {"member": member_score.member, "id": proposal.case_id}))
    return counted, tuple(warnings)


def _weighted_score(config: PrioritisationConfig, scores: Mapping[str, int]) -> Fraction:
    total_weight = sum(Fraction(criterion.weight) for criterion in config.criteria)
    weighted = sum(Fraction(criterion.weight) * criterion.effective(scores[criterion.id])
                   for criterion in config.criteria)
    return weighted / total_weight


def _mean(values: Iterable[Any]) -> Fraction:
    values = [Fraction(value) for value in values]
    return sum(values, Fraction(0)) / len(values)


def _round2(value: Fraction) -> Decimal:
    """Round a non-negative exact value half up to 2 decimals."""
    hundredths = math.floor(value * 100 + Fraction(1, 2))
    return Decimal(hundredths).scaleb(-2)


def _round2_sqrt(value: Fraction) -> Decimal:
    with localcontext() as context:
        context.prec = 40
        root = (Decimal(value.numerator) / Decimal(value.denominator)).sqrt()
    return _round2(Fraction(root))


# --- Capacity ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapacityLine:
    position: int
    case_id: int
    title: str
    mandatory: bool
    rank: int | None
    cost_sek: int | None
    hours: int | None
    cumulative_cost_sek: int
    cumulative_hours: int
    fits: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.position, "case_id": self.case_id, "title": self.title,
            "mandatory": self.mandatory, "rank": self.rank, "cost_sek": self.cost_sek,
            "hours": self.hours, "cumulative_cost_sek": self.cumulative_cost_sek,
            "cumulative_hours": self.cumulative_hours, "fits": self.fits,
        }


@dataclass(frozen=True)
class CapacityResult:
    department: str
    own_capacity: bool
    yearly_budget_sek: int
    yearly_hours: int
    lines: tuple[CapacityLine, ...]
    demand_cost_sek: int
    demand_hours: int
    fitting_cost_sek: int
    fitting_hours: int
    remaining_budget_sek: int
    remaining_hours: int
    not_fitting: tuple[int, ...]
    warnings: tuple[Failure, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "department": self.department,
            "own_capacity": self.own_capacity,
            "yearly_budget_sek": self.yearly_budget_sek,
            "yearly_hours": self.yearly_hours,
            "lines": [line.to_dict() for line in self.lines],
            "demand_cost_sek": self.demand_cost_sek,
            "demand_hours": self.demand_hours,
            "fitting_cost_sek": self.fitting_cost_sek,
            "fitting_hours": self.fitting_hours,
            "remaining_budget_sek": self.remaining_budget_sek,
            "remaining_hours": self.remaining_hours,
            "not_fitting": list(self.not_fitting),
            "warnings": [_failure_dict(failure) for failure in self.warnings],
        }


def capacity(config: PrioritisationConfig, department: str,
             ranked_or_ordered: Sequence[Ranked | Proposal],
             priority_order: Sequence[int] | None = None) -> CapacityResult:
    """Walk the proposals in the council's order and mark which fit the yearly capacity.

    ``ranked_or_ordered``: the result of ``evaluate`` (walked by rank) or proposals already in
    the council's order. ``priority_order``: case ids in the council's decided order, which
    then replaces the rank for the cases it lists.
    """
    limits = config.capacity_for(department)
    ordered = council_order(ranked_or_ordered, priority_order)
    lines, warnings = _walk(ordered, limits)
    fitting = [line for line in lines if line.fits]
    fitting_cost = fitting[-1].cumulative_cost_sek if fitting else 0
    fitting_hours = fitting[-1].cumulative_hours if fitting else 0
    return CapacityResult(
        department=department,
        own_capacity=department in config.department_capacity,
        yearly_budget_sek=limits.yearly_budget_sek,
        yearly_hours=limits.yearly_hours,
        lines=tuple(lines),
        demand_cost_sek=lines[-1].cumulative_cost_sek if lines else 0,
        demand_hours=lines[-1].cumulative_hours if lines else 0,
        fitting_cost_sek=fitting_cost,
        fitting_hours=fitting_hours,
        remaining_budget_sek=limits.yearly_budget_sek - fitting_cost,
        remaining_hours=limits.yearly_hours - fitting_hours,
        not_fitting=tuple(line.case_id for line in lines if not line.fits),
        warnings=tuple(warnings + _mandatory_overrun(lines, limits)),
    )


def council_order(items: Sequence[Ranked | Proposal],
                  priority_order: Sequence[int] | None = None) -> list[Ranked | Proposal]:
    """Mandatory first; then ``priority_order``; then by rank; ties keep the given order."""
    _require_unique([item.case_id for item in items], "case id")
    order = list(priority_order or ())
    _require_unique(order, "case id in priority_order")
    unknown = set(order) - {item.case_id for item in items}
    if unknown:
        raise ValueError(f"priority_order names cases that are not in the list: "
                         f"{sorted(unknown)}")
    position = {case_id: index for index, case_id in enumerate(order)}

    def key(item: Ranked | Proposal) -> tuple[bool, int, bool, int]:
        rank = getattr(item, "rank", None)
        return (not item.mandatory, position.get(item.case_id, len(order)),
                rank is None, rank or 0)

    return sorted(items, key=key)


def _walk(ordered: Sequence[Ranked | Proposal],
          limits: Capacity) -> tuple[list[CapacityLine], list[Failure]]:
    lines, warnings = [], []
    cost_total = hours_total = 0
    for position, item in enumerate(ordered, start=1):
        cost_total += item.cost_sek or 0
        hours_total += item.hours or 0
        lines.append(CapacityLine(
            position=position, case_id=item.case_id, title=item.title,
            mandatory=item.mandatory, rank=getattr(item, "rank", None),
            cost_sek=item.cost_sek, hours=item.hours,
            cumulative_cost_sek=cost_total, cumulative_hours=hours_total,
            fits=cost_total <= limits.yearly_budget_sek and hours_total <= limits.yearly_hours))
        warnings.extend(_missing_estimates(item, position))
    return lines, warnings


def _missing_estimates(item: Ranked | Proposal, position: int) -> list[Failure]:
    params = {"id": item.case_id, "number": position}
    warnings = []
    if item.cost_sek is None:
        warnings.append(Failure(
            "cost_unknown",
            N_("Ärende %(id)s saknar kostnad och räknas som 0 kr. Ange en "
               "kostnadsuppskattning så att rådet ser om det ryms i budgeten."),
            params))
    if item.hours is None:
        warnings.append(Failure(
            "hours_unknown",
            N_("Ärende %(id)s saknar uppskattning av utvecklingstimmar och räknas som "
               "0 timmar. Ange timmarna så att rådet ser om det ryms."),
            params))
    return warnings


def _mandatory_overrun(lines: Sequence[CapacityLine], limits: Capacity) -> list[Failure]:
    mandatory = [line for line in lines if line.mandatory]
    if not mandatory or mandatory[-1].fits:
        return []
    return [Failure(
        "mandatory_over_capacity",
        N_("De obligatoriska ärendena behöver %(cost)s kr och %(hours)s timmar, men "
           "förvaltningens årliga utrymme är %(budget)s kr och %(capacity_hours)s timmar. Ta "
           "upp med förvaltningsledningen hur de ska rymmas."),
        {"cost": mandatory[-1].cumulative_cost_sek, "hours": mandatory[-1].cumulative_hours,
         "budget": limits.yearly_budget_sek, "capacity_hours": limits.yearly_hours})]


# --- Helpers -----------------------------------------------------------------------------------


def _require_unique(values: Sequence[Any], what: str) -> None:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"Repeated {what}: {value}")
        seen.add(value)


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _str_values(values: Mapping[str, Decimal] | None) -> dict[str, str] | None:
    return None if values is None else {key: str(value) for key, value in values.items()}


def _failure_dict(failure: Failure) -> dict[str, Any]:
    return {"code": failure.code, "message": failure.message, "params": dict(failure.params)}
