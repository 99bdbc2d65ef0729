"""The portfolio's figures in the API (portfolio/api.py): the numbers behind each chart of the
portfolio page, from portfolio/service.py, under the page's filters."""
from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from workflow.platform.schemas import Answer


class PortfolioFilters(Answer):
    department_id: int | None = None
    unit_id: int | None = None
    state: str | None = None
    origin: str | None = None
    focus: str | None = None
    reach: str | None = None
    from_: date | None = Field(None, alias="from")
    to: date | None = None


class FunnelStep(Answer):
    state: str = None
    label: str = None
    cases: int = None


class LeadTime(Answer):
    state: str = None
    label: str = None
    median_days: float | None = None
    p90_days: float | None = None
    stays: int = None


class MonthFlow(Answer):
    month: str = Field(None, description="ÅÅÅÅ-MM")
    submitted: int = None
    decided: int = None


class BalanceQuadrant(Answer):
    focus: str = None
    reach: str = None
    label: str = None
    cost_sek: int = None
    share: float | None = None
    target: float | None = None


class PortfolioBalance(Answer):
    quadrants: list[BalanceQuadrant] = None
    total_sek: int = None
    without_direction_sek: int = None


class PortfolioCapacity(Answer):
    demand_sek: int = None
    budget_sek: int = None
    hours: int | None = None


class PortfolioBenefit(Answer):
    case: str = Field(None, description="Nummer och rubrik, som i diagrammet")
    planned_sek: int | None = None
    realised_sek: int | None = None


class DimiosMeasurement(Answer):
    measured_on: date = None
    score: float = None
    respondents: int = None


class DepartmentMaturity(Answer):
    department_id: int = None
    department: str = None
    level: int | None = None
    level_label: str | None = None
    assessed_on: date | None = None
    source: str | None = None
    dimios: list[DimiosMeasurement] = None


class Portfolio(Answer):
    filters: PortfolioFilters = None
    funnel: list[FunnelStep] = None
    lead_times: list[LeadTime] = None
    throughput: list[MonthFlow] = None
    balance: PortfolioBalance = None
    capacity: PortfolioCapacity = None
    benefits: list[PortfolioBenefit] = None
    maturity: list[DepartmentMaturity] = None


MODELS: list[type[BaseModel]] = [
    PortfolioFilters, FunnelStep, LeadTime, MonthFlow, BalanceQuadrant, PortfolioBalance,
    PortfolioCapacity, PortfolioBenefit, DimiosMeasurement, DepartmentMaturity, Portfolio]
