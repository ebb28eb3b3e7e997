"""What each kind of incident is called, and which ones involve money or goods."""

from __future__ import annotations

from core.enums import IncidentType
from core.errors import InvalidInput

TYPE_LABELS: dict[IncidentType, str] = {
    IncidentType.THEFT: "Theft",
    IncidentType.ATTEMPTED_THEFT: "Attempted theft",
    IncidentType.AGGRESSION: "Aggression or abuse",
    IncidentType.VIOLENCE: "Violence",
    IncidentType.SUSPICIOUS: "Suspicious behaviour",
    IncidentType.BEGGING: "Begging",
    IncidentType.COUNTERFEIT: "Counterfeit money",
    IncidentType.CRIMINAL_DAMAGE: "Criminal damage",
    IncidentType.OTHER: "Other",
}

# Goods or money were taken, nearly taken, or passed off: a value helps the scheme's figures.
# Criminal damage is a cost, not a loss of goods, and is left to the description.
VALUE_QUESTIONS: dict[IncidentType, str] = {
    IncidentType.THEFT: "What was the value of what was stolen?",
    IncidentType.ATTEMPTED_THEFT: "What was the value of the goods they tried to take?",
    IncidentType.COUNTERFEIT: "How much was the counterfeit money for?",
}


def type_label(incident_type: IncidentType | str) -> str:
    """The name traders see for a kind of incident."""
    return TYPE_LABELS[IncidentType(incident_type)]


def incident_type_from(value: str) -> IncidentType:
    """The kind of incident a button stands for; refuses anything else."""
    if value not in IncidentType._value2member_map_:
        raise InvalidInput("That isn't one of the incident types. Please pick one of the buttons.")
    return IncidentType(value)


def asks_value(incident_type: IncidentType | str | None) -> bool:
    """Whether the flow asks how much was stolen (or nearly stolen) for this kind."""
    return incident_type is not None and IncidentType(incident_type) in VALUE_QUESTIONS
