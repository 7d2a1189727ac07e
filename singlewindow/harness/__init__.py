"""Simulated federations: many countries on loopback, realistic traffic, real faults, a verdict."""

from singlewindow.harness.assault import AssaultReport, AttackResult, assault
from singlewindow.harness.federation import MAX_COUNTRIES, SimulatedFederation, pick_countries
from singlewindow.harness.proxy import FaultProxy, ProxyFaults
from singlewindow.harness.report import FaultEvent, Latency, Report, render
from singlewindow.harness.simulate import Progress, simulate
from singlewindow.harness.spec import SYNTAX, Fault, SpecError, parse_faults
from singlewindow.harness.traffic import Shipment, plan_traffic

__all__ = [
    "MAX_COUNTRIES",
    "SYNTAX",
    "AssaultReport",
    "AttackResult",
    "Fault",
    "FaultEvent",
    "FaultProxy",
    "Latency",
    "Progress",
    "ProxyFaults",
    "Report",
    "Shipment",
    "SimulatedFederation",
    "SpecError",
    "assault",
    "parse_faults",
    "pick_countries",
    "plan_traffic",
    "render",
    "simulate",
]
