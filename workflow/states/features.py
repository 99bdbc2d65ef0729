"""What each feature needs from a process definition (docs/process.md, "Features and the
process").

The process is data (config/processes/*.yaml), yet several features are built around named
states and events: the APT agenda takes up ``submitted`` ideas, the council scores cases in
``council``, benefits are reported in ``follow_up``, the anmälan lists ``approve`` decisions.
A new process version that renamed or dropped one of them would switch the feature off without
a word. So every feature declares here, as named constants, the states and events it relies on;
the services, views and templates use these constants instead of string literals, and
:func:`check_features` names every feature a definition would disable. A definition with such a
problem is refused: at start-up for config/processes/ (:func:`require_features`), when an
administrator loads a new version (processes/admin.py), and when a stored version is
merged into the registry.

Names a feature uses only where the process has them (``remit``, the nämnd's återremiss, since
version 2) are ``optional``: declared, never required.

Pure: no Flask, no database. Messages are Swedish msgids (:func:`.i18n.N_`).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from workflow.states.definition import DefinitionError, ProcessDefinition
from workflow.states.i18n import N_

# ------------------------------------------------------------------------------ the names
# Spelt once, here; the meaning of each is in docs/process.md.

DRAFT = "draft"
SUBMITTED = "submitted"
DIRECT = "direct"
APT = "apt"
REFINEMENT = "refinement"
COUNCIL = "council"
PLAN = "plan"
MANAGEMENT = "management"
POLITICAL = "political"
APPROVED = "approved"
IMPLEMENTATION = "implementation"
FOLLOW_UP = "follow_up"
CLOSED = "closed"
RESOLVED_LOCALLY = "resolved_locally"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
MERGED = "merged"

SUBMIT = "submit"
SUBMIT_DIRECT = "submit_direct"
RESOLVE_LOCALLY = "resolve_locally"
ROUTE = "route"
REACTIVATE = "reactivate"
PRIORITISE = "prioritise"
RETURN = "return"
APPROVE = "approve"
ESCALATE = "escalate"
DECIDE_YES = "decide_yes"
DECIDE_NO = "decide_no"
REMIT = "remit"  # since version 2; version 1 returns from the nämnd with ``return``
REJECT = "reject"
MERGE = "merge"


@dataclass(frozen=True)
class Feature:
    """A feature and the states and events it relies on. ``label`` is a Swedish msgid."""

    key: str
    label: str
    states: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    optional_events: tuple[str, ...] = ()


# ------------------------------------------------------------------------------ each feature

# Submitting an idea, named or anonymous (cases/service.py).
SUBMISSION = Feature("submission", N_("Inlämning av idéer"),
                     states=(DRAFT,), events=(SUBMIT, SUBMIT_DIRECT))

# Meetings (meetings/service.py): the state whose cases each forum's agenda takes up; the
# decision form offers the council's priority (``prioritise``) and the diarienummer
# (``escalate``, templates/meeting.html).
AGENDA_STATES: Mapping[str, str] = {"apt": SUBMITTED, "council": COUNCIL,
                                    "management": MANAGEMENT}
MEETING_PRIORITY_EVENT = PRIORITISE
MEETING_DIARIENUMMER_EVENT = ESCALATE
MEETINGS = Feature("meetings", N_("Möten: APT, digitaliseringsråd och ledningsgrupp"),
                   states=tuple(AGENDA_STATES.values()),
                   events=(MEETING_PRIORITY_EVENT, MEETING_DIARIENUMMER_EVENT))

# The council's scoring (council/service.py, docs/prioritisation.md).
SCORED_STATE = COUNCIL
SCORING = Feature("scoring", N_("Digitaliseringsrådets poängsättning"), states=(SCORED_STATE,))

# The digitaliseringsplan (plan/service.py): parked cases, and the event bringing one back.
PARKED_STATE = PLAN
PLAN_REACTIVATE_EVENT = REACTIVATE
PLAN_FEATURE = Feature("plan", N_("Digitaliseringsplanen"),
                       states=(PARKED_STATE,), events=(PLAN_REACTIVATE_EVENT,))

# The tjänsteutlåtande (memo/service.py, docs/decisions.md): written while the decision is
# pending in the management or the nämnd.
MEMO_STATES = (MANAGEMENT, POLITICAL)
MEMO = Feature("memo", N_("Tjänsteutlåtandet"), states=MEMO_STATES)

# Political decisions (cases/service.py, docs/decisions.md): the nämnd's decisions with their
# own meeting date and paragraph; the diarienummer is set while the decision is pending.
POLITICAL_DECISIONS = (DECIDE_YES, DECIDE_NO)
COMMITTEE_DECISION_EVENTS = (DECIDE_YES, DECIDE_NO, REMIT)
REGISTRY_STATES = (MANAGEMENT, POLITICAL)
POLITICAL_FEATURE = Feature("political", N_("Politiska beslut och diarienummer"),
                            states=(POLITICAL, *REGISTRY_STATES), events=POLITICAL_DECISIONS,
                            optional_events=(REMIT,))

# Delegation (delegation/service.py, docs/delegation.md): decisions taken on delegation, listed
# in the anmälan to the nämnd.
DELEGATED_EVENTS = (APPROVE,)
DELEGATION = Feature("delegation", N_("Anmälan av delegationsbeslut"), events=DELEGATED_EVENTS)

# The beslutsunderlag (dossier/service.py, docs/dossier-rules.md): the sign-off is open until
# the case reaches the decided state; ended cases no longer count towards the year's direct
# procurements (docs/procurement-rules.md).
DECIDED_STATE = APPROVED
ENDED_STATES = (REJECTED, WITHDRAWN, MERGED)
DOSSIER = Feature("dossier", N_("Beslutsunderlaget"), states=(DECIDED_STATE, *ENDED_STATES))

# Benefit follow-up (follow_up/service.py, ops/jobs.py, docs/follow-up.md): reported in
# follow_up; year 1 of the calculation starts at the decision; the follow-up tab and the
# go-live and actual-cost fields show from the decision on.
REPORTING_STATES = (FOLLOW_UP,)
FOLLOW_UP_TAB_STATES = (IMPLEMENTATION, FOLLOW_UP, CLOSED)
GO_LIVE_FIELD_STATES = (APPROVED, IMPLEMENTATION, FOLLOW_UP)
FOLLOW_UP_FEATURE = Feature("follow_up", N_("Nyttouppföljning"),
                            states=(DECIDED_STATE, *FOLLOW_UP_TAB_STATES))

# The portfolio (portfolio/service.py): throughput, direction balance, demand against capacity,
# planned against realised benefits.
SUBMISSION_EVENTS = (SUBMIT, SUBMIT_DIRECT)
NOT_IN_PORTFOLIO = (REJECTED, WITHDRAWN, MERGED, DRAFT)
AWAITING_DECISION = (COUNCIL, PLAN, MANAGEMENT, POLITICAL)
DECIDED_STATES = (APPROVED, IMPLEMENTATION, FOLLOW_UP, CLOSED)
BENEFIT_STATES = (FOLLOW_UP, CLOSED)
PORTFOLIO = Feature("portfolio", N_("Portföljen"),
                    states=(*NOT_IN_PORTFOLIO, *AWAITING_DECISION, *DECIDED_STATES),
                    events=SUBMISSION_EVENTS)

# The public transparency page (portfolio/public_web.py): decided cases only.
PUBLIC_STATES = DECIDED_STATES
PUBLIC = Feature("public", N_("Den offentliga sidan"), states=PUBLIC_STATES)

# Similar ideas (similar/service.py, docs/similar-ideas.md): never hinted from a draft or the
# anonymous direct channel.
HIDDEN_FROM_SIMILAR = (DRAFT, DIRECT)
SIMILAR = Feature("similar", N_("Liknande idéer"), states=HIDDEN_FROM_SIMILAR)

# Merging a case into another (cases/service.py, notifications/service.py).
MERGE_FEATURE = Feature("merge", N_("Sammanslagning av ärenden"), states=(MERGED,),
                        events=(MERGE,))

# What the submitter reads (templates/status.html, docs/process.md "Transparency"): the
# comment of these events is shown on the status page; the nämnd's decisions in plain words.
# A rejection's motivation always reaches the submitter; a process may have no local solution
# or no återremiss, so those two are optional.
SUBMITTER_COMMENT_EVENTS = (REJECT, RETURN, DECIDE_YES, DECIDE_NO, REMIT, RESOLVE_LOCALLY,
                            MERGE, ROUTE)
TRANSPARENCY = Feature("transparency", N_("Ärendets status för den som lämnade idén"),
                       events=(REJECT, RETURN, DECIDE_YES, DECIDE_NO, MERGE, ROUTE),
                       optional_events=(REMIT, RESOLVE_LOCALLY))

FEATURES: tuple[Feature, ...] = (
    SUBMISSION, MEETINGS, SCORING, PLAN_FEATURE, MEMO, POLITICAL_FEATURE, DELEGATION, DOSSIER,
    FOLLOW_UP_FEATURE, PORTFOLIO, PUBLIC, SIMILAR, MERGE_FEATURE, TRANSPARENCY,
)


def escalation_feature(states: Iterable[str]) -> Feature:
    """The escalations of config/notifications.toml, whose ``[escalation.<state>]`` tables
    name states: built from the loaded rules by the service layer."""
    return Feature("escalation", N_("Eskalering av ärenden som väntat för länge"),
                   states=tuple(states))


# ------------------------------------------------------------------------------ the check

MISSING_STATES = N_("funktionen ”%(feature)s” bygger på lägena %(names)s, som saknas")
MISSING_EVENTS = N_("funktionen ”%(feature)s” bygger på händelserna %(names)s, som saknas")
MISSING_FIX = N_("Behåll namnen %(names)s i den nya versionen; annars slutar funktionen tyst "
                 "att fungera. Byter processen verkligen namn, ändra först "
                 "workflow/states/features.py.")


@dataclass(frozen=True)
class FeatureProblem:
    """A feature the definition would switch off: the states or events it lacks.

    ``entry`` is the YAML key (``states`` or ``events``); ``problem`` and ``fix`` are Swedish
    msgids filled in from :attr:`params` (``feature`` is itself a msgid)."""

    feature: Feature
    entry: str
    missing: tuple[str, ...]

    @property
    def problem(self) -> str:
        return MISSING_STATES if self.entry == "states" else MISSING_EVENTS

    @property
    def fix(self) -> str:
        return MISSING_FIX

    @property
    def params(self) -> dict[str, str]:
        return {"feature": self.feature.label, "names": ", ".join(self.missing)}

    @property
    def text(self) -> str:
        """In Swedish, for logs and start-up errors."""
        return f"{self.problem % self.params}. {self.fix % self.params}"


def check_features(definition: ProcessDefinition,
                   extra: Iterable[Feature] = ()) -> list[FeatureProblem]:
    """Every feature that ``definition`` would disable, with the names it lacks; empty when
    the definition serves every feature."""
    problems: list[FeatureProblem] = []
    for feature in (*FEATURES, *extra):
        states = _missing(feature.states, definition.states)
        if states:
            problems.append(FeatureProblem(feature, "states", states))
        events = _missing(feature.events, definition.events)
        if events:
            problems.append(FeatureProblem(feature, "events", events))
    return problems


def require_features(definition: ProcessDefinition, extra: Iterable[Feature] = ()) -> None:
    """Raise :class:`DefinitionError` (Swedish, for start-up) naming the first feature the
    definition would disable."""
    problems = check_features(definition, extra)
    if problems:
        first = problems[0]
        raise DefinitionError(definition.source, first.entry, first.problem % first.params,
                              first.fix % first.params)


def _missing(names: Iterable[str], present: Mapping[str, object]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for n in names if n not in present))
