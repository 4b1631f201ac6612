"""Mediator ranking and hard exclusions as pure functions over plain values (no database).

Each criterion is its own function ``(case, candidate, context) -> CriterionResult`` giving a score in
[0, 1] and an explanation in Chinese (``explanation``) and English (``explanation_en``). The rule itself is
a score-only function (``specialty_score``...) that the criterion calls and then explains: ranking a large
roster scores every candidate with the score-only functions and builds the explanations only for the
candidates someone looks at (``Ranked.criteria`` is computed on first use). A ``RankingPolicy`` weighs
them, applies the hard exclusions and orders the result: higher total first; among equals the mediator who
has waited longest since their last assignment (rotation), then the lower id.

The hard exclusions (a declared tie with the respondent institution, suspended or retired status, an
expired certificate, a full load, leave over the whole availability window, a granted recusal on this case,
being the case's mediator already) are also functions; the service raises
them as a 409 when someone assigns an excluded mediator anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial

# A tie that ended this many years ago no longer counts as a conflict of interest.
TIE_COOLING_OFF_YEARS = 3
# Rotation reaches its full score after this many days without an assignment.
ROTATION_FULL_DAYS = 30

# Which professional background fits which case category (the categories 0051_baseline_core seeds).
CATEGORY_FIELD = {
    "insurance_claim": "insurance",
    "mis_selling": "insurance",
    "surrender": "insurance",
    "bank_card": "finance",
    "loan": "finance",
    "wealth_management": "finance",
}
BACKGROUND_ZH = {"law": "法律", "finance": "金融", "insurance": "保险", "medicine": "医学", "other": "其他"}


@dataclass(frozen=True)
class CaseProfile:
    case_id: int
    category_code: str
    language: str
    city: str | None
    respondent_institution_id: int | None
    respondent_credit_code: str | None
    respondent_name: str | None = None
    category_name: str | None = None  # the category as people name it (案件类别表), for the explanations
    category_name_en: str | None = None


@dataclass(frozen=True)
class Leave:
    """Leave that takes every working hour of the ranking window: the mediator cannot hold a session in it."""

    starts_on: date
    ends_on: date
    reason: str | None = None


@dataclass(frozen=True)
class Tie:
    """A declared affiliation that names the case's respondent institution."""

    institution_name: str
    relation: str
    started_on: date | None
    ended_on: date | None


# Not frozen: ranking builds thousands of candidates per request, and a frozen dataclass's __init__ costs
# about ten times as much. Treat them as values all the same.
@dataclass(slots=True)
class Candidate:
    mediator_id: int
    user_id: int
    name: str
    background: str
    years_of_practice: int
    specialties: frozenset[str]
    languages: frozenset[str]
    cities: frozenset[str]
    remote_capable: bool
    max_active_cases: int
    active_cases: int
    status: str
    last_assigned_at: datetime | None
    certification_valid_until: date | None
    expired_certifications: tuple[str, ...] = ()  # names, filled by the service when known
    ties: tuple[Tie, ...] = ()
    recused_from_case: bool = False
    current_on_case: bool = False
    busy_minutes: int = 0
    leave: Leave | None = None  # set when leave fills the whole availability window


@dataclass(frozen=True)
class RankingContext:
    now: datetime
    today: date
    capacity_minutes: int  # working minutes in the availability window
    availability_source: str = "scheduling"  # scheduling | workdays_only
    window_label: str = ""
    window_label_en: str = ""


@dataclass(frozen=True)
class CriterionResult:
    criterion: str
    score: float
    explanation: str
    explanation_en: str

    def as_dict(self, weight: float) -> dict:
        return {"criterion": self.criterion, "weight": weight, "score": round(self.score, 3),
                "points": round(self.score * weight, 2), "explanation": self.explanation,
                "explanation_en": self.explanation_en}


@dataclass(frozen=True)
class Exclusion:
    code: str
    message: str
    message_en: str

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "message_en": self.message_en}


# --- criteria ---------------------------------------------------------------------------------------
# Each criterion is a score-only rule (``*_score``) and a function that explains the score it gives; the
# explanation branches on that score, so the rule is written once.

Scorer = Callable[[CaseProfile, Candidate, RankingContext], float]


def scored_by(scorer: Scorer):
    """Attach the score-only rule to its explaining criterion (used to rank without explaining)."""
    def attach(criterion):
        criterion.score_only = scorer
        return criterion
    return attach


def specialty_score(case: CaseProfile, c: Candidate, ctx: RankingContext) -> float:
    """1.0 when the mediator lists the case's category, 0.6 for the background CATEGORY_FIELD pairs with it,
    0.4 for law (fits any dispute), else 0.0. ``prescore.specialty_sql`` mirrors it in SQL."""
    if case.category_code in c.specialties:
        return 1.0
    field_needed = CATEGORY_FIELD.get(case.category_code)
    if field_needed and c.background == field_needed:
        return 0.6
    return 0.4 if c.background == "law" else 0.0


@scored_by(specialty_score)
def specialty(case: CaseProfile, c: Candidate, ctx: RankingContext) -> CriterionResult:
    """``specialty_score`` with its explanation (the category by name, or the mediator's background)."""
    score = specialty_score(case, c, ctx)
    if score == 1.0:
        return CriterionResult("specialty", score, f"专长包含本案类别（{case.category_name or '本类纠纷'}）",
                               f"specialises in this case's category ({case.category_name_en or 'this category'})")
    if score == 0.6:
        return CriterionResult("specialty", score, f"{BACKGROUND_ZH[c.background]}背景，与本案领域相符",
                               f"{c.background} background matches the case's field")
    if score == 0.4:
        return CriterionResult("specialty", score, "法律背景，可处理各类纠纷",
                               "legal background, suitable for any dispute")
    return CriterionResult("specialty", score, "专长与本案类别不符", "no specialty in this case's category")


def language_score(case: CaseProfile, c: Candidate, ctx: RankingContext) -> float:
    """1.0 when the mediator speaks the case's language, 0.3 when not but they speak 普通话 (Putonghua), else
    0.0. ``prescore.language_sql`` mirrors it in SQL."""
    if case.language in c.languages:
        return 1.0
    return 0.3 if "普通话" in c.languages else 0.0


@scored_by(language_score)
def language(case: CaseProfile, c: Candidate, ctx: RankingContext) -> CriterionResult:
    """``language_score`` with its explanation."""
    wanted, score = case.language, language_score(case, c, ctx)
    if score == 1.0:
        return CriterionResult("language", score, f"可使用{wanted}调解", f"can mediate in {wanted}")
    if score == 0.3:
        return CriterionResult("language", score, f"不会{wanted}，可使用普通话",
                               f"does not speak {wanted}; can use Putonghua")
    return CriterionResult("language", score, f"不会{wanted}", f"does not speak {wanted}")


def location_score(case: CaseProfile, c: Candidate, ctx: RankingContext) -> float:
    """1.0 when the case names no city or the mediator serves it, 0.6 elsewhere for a remote-capable mediator,
    else 0.0. ``prescore.location_sql`` mirrors it in SQL."""
    if not case.city or case.city in c.cities:
        return 1.0
    return 0.6 if c.remote_capable else 0.0


@scored_by(location_score)
def location(case: CaseProfile, c: Candidate, ctx: RankingContext) -> CriterionResult:
    """``location_score`` with its explanation (which says so when the case names no city)."""
    score = location_score(case, c, ctx)
    if not case.city:
        return CriterionResult("location", score, "案件未限定城市", "the case names no city")
    if score == 1.0:
        return CriterionResult("location", score, f"服务{case.city}", f"serves {case.city}")
    if score == 0.6:
        return CriterionResult("location", score, f"不在{case.city}，可视频调解",
                               f"not in {case.city}, mediates remotely")
    return CriterionResult("location", score, f"不服务{case.city}且不能远程调解",
                           f"does not serve {case.city} and cannot mediate remotely")


def free_share(used: int, limit: int) -> float:
    """The share of ``limit`` (taken as at least 1) that ``used`` leaves free: 1.0 none used, 0.0 full or over."""
    limit = max(limit, 1)
    return max(limit - used, 0) / limit


def load_score(case: CaseProfile, c: Candidate, ctx: RankingContext) -> float:
    """The free share of the mediator's maximum of active cases (``free_share``). ``prescore.load_sql``
    mirrors it in SQL."""
    return free_share(c.active_cases, c.max_active_cases)


@scored_by(load_score)
def load(case: CaseProfile, c: Candidate, ctx: RankingContext) -> CriterionResult:
    """``load_score`` explained as active cases of the maximum (a maximum below 1 reads as 1)."""
    maximum = max(c.max_active_cases, 1)
    return CriterionResult("load", load_score(case, c, ctx), f"在办{c.active_cases}件，上限{maximum}件",
                           f"{c.active_cases} active cases of a maximum of {maximum}")


def rotation_score(case: CaseProfile, c: Candidate, ctx: RankingContext) -> float:
    """Days since the last assignment over ROTATION_FULL_DAYS, capped at 1.0; 1.0 if never assigned, 0.0 for
    an assignment after ``ctx.now``. ``prescore.rotation_sql`` mirrors it in SQL."""
    if c.last_assigned_at is None:
        return 1.0
    days = max((ctx.now - c.last_assigned_at).total_seconds() / 86400, 0.0)
    return min(days / ROTATION_FULL_DAYS, 1.0)


@scored_by(rotation_score)
def rotation(case: CaseProfile, c: Candidate, ctx: RankingContext) -> CriterionResult:
    """``rotation_score`` explained in whole days since the last assignment."""
    score = rotation_score(case, c, ctx)
    if c.last_assigned_at is None:
        return CriterionResult("rotation", score, "尚未被指派过案件", "never assigned a case yet")
    whole = int(max((ctx.now - c.last_assigned_at).total_seconds() / 86400, 0.0))
    return CriterionResult("rotation", score, f"距上次指派{whole}天", f"{whole} days since the last assignment")


def availability_score(case: CaseProfile, c: Candidate, ctx: RankingContext) -> float:
    """The share of the window's working minutes (``ctx.capacity_minutes``) that the mediator's busy minutes
    (sessions and leave) leave free. ``prescore.availability_sql`` mirrors it in SQL."""
    return free_share(c.busy_minutes, ctx.capacity_minutes)


@scored_by(availability_score)
def availability(case: CaseProfile, c: Candidate, ctx: RankingContext) -> CriterionResult:
    """``availability_score`` explained in free hours of the window, or in working hours alone when there is
    no scheduling data (``availability_source`` "workdays_only")."""
    capacity = max(ctx.capacity_minutes, 1)
    score = availability_score(case, c, ctx)
    hours, hours_cap = max(capacity - c.busy_minutes, 0) / 60, capacity / 60
    if ctx.availability_source == "workdays_only":
        return CriterionResult("availability", score,
                               f"{ctx.window_label}共{hours_cap:g}小时工作时间（未接入排期数据）",
                               f"{hours_cap:g} working hours in {ctx.window_label_en} (no scheduling data)")
    return CriterionResult("availability", score,
                           f"{ctx.window_label}空闲{hours:g}小时（共{hours_cap:g}小时）",
                           f"{hours:g} of {hours_cap:g} working hours free in {ctx.window_label_en}")


Criterion = Callable[[CaseProfile, Candidate, RankingContext], CriterionResult]


def score_only(criterion: Criterion) -> Scorer:
    """The criterion's score-only rule; a criterion without one is scored by calling it."""
    return getattr(criterion, "score_only", None) or (lambda case, c, ctx: criterion(case, c, ctx).score)


# --- hard exclusions ----------------------------------------------------------------------------------

def tie_is_current(tie: Tie, today: date, cooling_off_years: int = TIE_COOLING_OFF_YEARS) -> bool:
    """Whether the tie counts as a conflict of interest on ``today``: from its start (none: always) until the
    ``cooling_off_years``-th anniversary of its end, exclusive (an end on 29 February: the 28th)."""
    if tie.started_on is not None and tie.started_on > today:
        return False
    if tie.ended_on is None:
        return True
    try:
        cutoff = tie.ended_on.replace(year=tie.ended_on.year + cooling_off_years)
    except ValueError:  # 29 February
        cutoff = tie.ended_on.replace(year=tie.ended_on.year + cooling_off_years, day=28)
    return today < cutoff


def exclude_conflict(case: CaseProfile, c: Candidate, today: date) -> Exclusion | None:
    """``conflict_of_interest`` when a declared tie with the respondent is current today (``tie_is_current``);
    the message names the first such tie. Mirrored in ``prescore.eligible_sql``."""
    if not c.ties:
        return None
    current = [t for t in c.ties if tie_is_current(t, today)]
    if not current:
        return None
    tie = current[0]
    since = f"{tie.started_on}起" if tie.started_on else ""
    until = f"至{tie.ended_on}" if tie.ended_on else "至今"
    return Exclusion("conflict_of_interest",
                     f"与被申请人{tie.institution_name}存在利害关系（{tie.relation}，{since}{until}）",
                     f"declared tie with the respondent {tie.institution_name} ({tie.relation}, "
                     f"{tie.started_on or '?'} to {tie.ended_on or 'now'})")


def exclude_status(case: CaseProfile, c: Candidate, today: date) -> Exclusion | None:
    """``suspended``, ``retired`` or ``not_active`` unless active. Mirrored in ``prescore.eligible_sql``."""
    if c.status == "suspended":
        return Exclusion("suspended", "调解员已被暂停", "the mediator is suspended")
    if c.status == "retired":
        return Exclusion("retired", "调解员已退出名册", "the mediator has retired")
    if c.status != "active":
        return Exclusion("not_active", f"调解员状态为{c.status}", f"the mediator's status is {c.status}")
    return None


def exclude_certification(case: CaseProfile, c: Candidate, today: date) -> Exclusion | None:
    """``certification_expired`` once ``certification_valid_until`` is before today (a certificate is valid on
    its expiry date; no date: nothing expires). Mirrored in ``prescore.eligible_sql``."""
    if c.certification_valid_until is None or c.certification_valid_until >= today:
        return None
    names = "、".join(c.expired_certifications) or "资格证书"
    names_en = ", ".join(c.expired_certifications) or "a certification"
    return Exclusion("certification_expired", f"{names}已于{c.certification_valid_until}过期",
                     f"{names_en} expired on {c.certification_valid_until}")


def exclude_full_load(case: CaseProfile, c: Candidate, today: date) -> Exclusion | None:
    """``full_load`` once active cases reach ``max_active_cases``. Mirrored in ``prescore.eligible_sql``."""
    if c.active_cases < c.max_active_cases:
        return None
    return Exclusion("full_load", f"在办案件已满（{c.active_cases}/{c.max_active_cases}）",
                     f"load is full ({c.active_cases} of {c.max_active_cases} active cases)")


def exclude_on_leave(case: CaseProfile, c: Candidate, today: date) -> Exclusion | None:
    """``on_leave`` when ``c.leave`` is set, which the loader does only for leave over the whole availability
    window (shorter leave lowers availability). Mirrored in ``prescore.eligible_sql``."""
    if c.leave is None:
        return None
    why = f"（{c.leave.reason}）" if c.leave.reason else ""
    return Exclusion("on_leave",
                     f"休假{why}，{c.leave.starts_on}至{c.leave.ends_on}，未来几个工作日都不能安排调解",
                     f"on leave from {c.leave.starts_on} to {c.leave.ends_on}: no working hour free in the next "
                     f"working days")


def exclude_recused(case: CaseProfile, c: Candidate, today: date) -> Exclusion | None:
    """``recused`` after a granted recusal (回避) from this case. Mirrored in ``prescore.eligible_sql``."""
    if not c.recused_from_case:
        return None
    return Exclusion("recused", "已就本案回避", "has been recused from this case")


def exclude_current(case: CaseProfile, c: Candidate, today: date) -> Exclusion | None:
    """``already_assigned`` for the case's own mediator. Mirrored in ``prescore.eligible_sql``."""
    if not c.current_on_case:
        return None
    return Exclusion("already_assigned", "已是本案调解员", "is already the mediator of this case")


Rule = Callable[[CaseProfile, Candidate, date], "Exclusion | None"]
HARD_EXCLUSIONS: tuple[Rule, ...] = (exclude_conflict, exclude_status, exclude_certification,
                                     exclude_full_load, exclude_on_leave, exclude_recused, exclude_current)


def exclusions_for(case: CaseProfile, c: Candidate, today: date,
                   rules: Sequence[Rule] = HARD_EXCLUSIONS) -> list[Exclusion]:
    """Every exclusion of ``rules`` that applies, in their order (empty: the mediator may take the case)."""
    return [e for rule in rules if (e := rule(case, c, today)) is not None]


# --- the policy ---------------------------------------------------------------------------------------

class Ranked:
    """A candidate's total; ``criteria`` (each criterion's score and explanation) is built on first use."""

    __slots__ = ("candidate", "total", "_explain", "_criteria")
    _criteria: list[dict] | None

    def __init__(self, candidate: Candidate, total: float, explain: Callable[[], list[dict]]) -> None:
        self.candidate, self.total, self._explain, self._criteria = candidate, total, explain, None

    @property
    def criteria(self) -> list[dict]:
        if self._criteria is None:
            self._criteria = self._explain()
        return self._criteria

    def __repr__(self) -> str:
        return f"Ranked(mediator_id={self.candidate.mediator_id}, total={self.total})"


@dataclass(frozen=True)
class Rejected:
    candidate: Candidate
    reasons: list[Exclusion]


@dataclass(frozen=True)
class RankingPolicy:
    """Weighted criteria (weights sum to 100, so a total reads as points out of 100) and hard exclusions."""

    criteria: tuple[tuple[Criterion, float], ...] = field(default=(
        (specialty, 30.0), (language, 20.0), (location, 15.0), (load, 15.0), (rotation, 10.0),
        (availability, 10.0)))
    exclusions: tuple[Rule, ...] = HARD_EXCLUSIONS

    def explain(self, case: CaseProfile, c: Candidate, ctx: RankingContext) -> list[dict]:
        return [fn(case, c, ctx).as_dict(weight) for fn, weight in self.criteria]

    def total(self, case: CaseProfile, c: Candidate, ctx: RankingContext) -> float:
        return round(sum(score_only(fn)(case, c, ctx) * weight for fn, weight in self.criteria), 2)

    def score(self, case: CaseProfile, c: Candidate, ctx: RankingContext) -> Ranked:
        return Ranked(c, self.total(case, c, ctx), partial(self.explain, case, c, ctx))

    def rank(self, case: CaseProfile, candidates: Iterable[Candidate],
             ctx: RankingContext) -> tuple[list[Ranked], list[Rejected]]:
        ranked: list[Ranked] = []
        rejected: list[Rejected] = []
        scorers = [(score_only(fn), weight) for fn, weight in self.criteria]
        rules = self.exclusions
        today = ctx.today
        for c in candidates:
            for rule in rules:
                if rule(case, c, today) is not None:
                    rejected.append(Rejected(c, exclusions_for(case, c, today, rules)))
                    break
            else:
                total = 0.0
                for fn, weight in scorers:
                    total += fn(case, c, ctx) * weight
                ranked.append(Ranked(c, round(total, 2), partial(self.explain, case, c, ctx)))
        ranked.sort(key=rotation_order)
        rejected.sort(key=lambda r: r.candidate.mediator_id)
        return ranked, rejected


def rotation_order(r: Ranked) -> tuple:
    """Higher total first; among equals the longest wait since the last assignment (never first), then id."""
    last = r.candidate.last_assigned_at
    return (-r.total, 0 if last is None else 1, last.timestamp() if last else 0.0, r.candidate.mediator_id)


DEFAULT_POLICY = RankingPolicy()


# --- certifications and fairness -----------------------------------------------------------------------

def _latest_expiry(certs: Iterable[tuple[str, date | None]]) -> dict[str, date | None]:
    """Per kind of certificate (its name), the expiry that counts: the latest; None once one never expires."""
    latest: dict[str, date | None] = {}
    for name, expires in certs:
        key = name.strip()
        if key in latest and latest[key] is None:
            continue
        latest[key] = None if expires is None else max(expires, latest.get(key) or expires)
    return latest


def certification_valid_until(certs: Iterable[tuple[str, date | None]]) -> date | None:
    """The first day a kind of certificate lapses: for each name the latest expiry counts (a renewal
    replaces the old card); None when nothing expires."""
    dates = [d for d in _latest_expiry(certs).values() if d is not None]
    return min(dates) if dates else None


def expired_certifications(certs: Iterable[tuple[str, date | None]], today: date) -> list[str]:
    """The kinds of certificate (names, sorted) whose latest expiry is before ``today``: a renewed card does
    not count as expired."""
    latest = _latest_expiry(certs)
    return sorted(name for name, d in latest.items() if d is not None and d < today)
