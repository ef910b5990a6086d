"""Every word a report prints, in Spanish and in English.

A dictionary rather than gettext: the report has two languages and about a hundred labels,
both written by the team (no translators' workflow to serve), gettext would add compiled .mo
files to ship and a build step to forget, and a dict lets a test check that every label and
every vocabulary term exists in both languages.
"""

from __future__ import annotations

from typing import Literal

from enlace.reports.errors import UnknownLanguage

Language = Literal["es", "en"]
LANGUAGES: tuple[Language, ...] = ("es", "en")

# CLDR locale of each language's numbers and dates (Babel): Mexico's and the US's conventions.
LOCALES: dict[Language, str] = {"es": "es_MX", "en": "en_US"}

LABELS: dict[str, tuple[str, str]] = {
    # key: (Spanish, English)
    "title": ("Informe de avance", "Progress report"),
    "report_date": ("Fecha del informe", "Report date"),
    "prepared_by": ("Preparado por el nodo de", "Prepared by the node of"),
    "meeting": ("Reunión", "Meeting"),
    "mechanism": ("Mecanismo", "Mechanism"),
    "date": ("Fecha", "Date"),
    "place": ("Lugar", "Place"),
    "participants": ("Participantes", "Participants"),
    "previous_meeting": ("Reunión anterior", "Previous meeting"),
    "none": ("ninguna", "none"),
    "not_stated": ("sin precisar", "not stated"),
    "summary": ("Resumen", "Summary"),
    "summary_by_status": ("Compromisos y acciones por estado", "Commitments and actions by status"),
    "status": ("Estado", "Status"),
    "commitments": ("Compromisos", "Commitments"),
    "actions": ("Acciones", "Actions"),
    "overdue": ("Vencido", "Overdue"),
    "overdue_included": ("(incluidos arriba)", "(included above)"),
    "total": ("Total", "Total"),
    "section_commitments": ("Compromisos y acciones", "Commitments and actions"),
    "commitments_intro": (
        "Los compromisos vencidos aparecen primero y marcados; después, por estado.",
        "Overdue commitments come first and are flagged; then by status.",
    ),
    "no_commitments": (
        "No hay compromisos registrados para esta reunión.",
        "No commitments are recorded for this meeting.",
    ),
    "commitment": ("Compromiso", "Commitment"),
    "theme": ("Tema", "Theme"),
    "responsible": ("Responsable", "Responsible"),
    "lead_agencies": ("Dependencias líderes", "Lead agencies"),
    "due_date": ("Fecha límite", "Due date"),
    "no_due_date": ("sin fecha", "no date"),
    "agreed_at": ("Acordado en", "Agreed at"),
    "action": ("Acción", "Action"),
    "owner_agency": ("Dependencia", "Agency"),
    "evidence": ("Evidencia", "Evidence"),
    "no_actions": ("Sin acciones registradas.", "No actions recorded."),
    "only_in_other": ("(solo en inglés)", "(Spanish only)"),
    "section_indicators": ("Indicadores", "Indicators"),
    "indicators_intro": (
        "Tendencia de cada indicador frente a su línea base y su meta.",
        "Each indicator's trend against its baseline and its target.",
    ),
    "no_indicators": ("No hay indicadores definidos.", "No indicators are defined."),
    "indicator": ("Indicador", "Indicator"),
    "unit": ("Unidad", "Unit"),
    "period_kind": ("Periodo", "Period"),
    "latest": ("Último valor", "Latest value"),
    "trend": ("Tendencia", "Trend"),
    "baseline": ("Línea base", "Baseline"),
    "target": ("Meta", "Target"),
    "measures": ("Mide el compromiso", "Measures the commitment"),
    "no_observations": ("Sin observaciones todavía.", "No observations yet."),
    "latest_data": ("Datos hasta", "Data up to"),
    "stale": ("desactualizado", "stale"),
    "stale_note": (
        "los datos más recientes son de {month}, más de {months} meses antes de la reunión",
        "the latest data are from {month}, more than {months} months before the meeting",
    ),
    "partial": ("parcial", "partial"),
    "partial_months": ("{have} de {of} meses", "{have} of {of} months"),
    "partial_note": (
        "Los periodos parciales (marcados) no se comparan con periodos completos; el cambio "
        "respecto a la línea base usa el último periodo completo.",
        "Partial periods (marked) are not compared with full ones; the change against the "
        "baseline uses the latest full period.",
    ),
    "last_complete": ("Último periodo completo", "Latest full period"),
    "change_vs_baseline": ("Cambio vs. línea base", "Change vs. baseline"),
    "direction": ("Dirección deseada", "Desired direction"),
    "direction_up": ("al alza (más es mejor)", "up (more is better)"),
    "direction_down": ("a la baja (menos es mejor)", "down (less is better)"),
    "on_track": ("en la dirección deseada", "in the desired direction"),
    "off_track": ("en contra de la dirección deseada", "against the desired direction"),
    "baseline_late": (
        "la línea base ({period}) no es anterior al compromiso (acordado el {date})",
        "the baseline ({period}) is not from before the commitment (agreed on {date})",
    ),
    "measured_by": ("Medido por", "Measured by"),
    "commitment_not_held": (
        "compromiso {id} (este nodo no lo tiene)",
        "commitment {id} (not held by this node)",
    ),
    "chart_alt": ("Gráfica de", "Chart of"),
    "section_traces": ("Rastreo de armas", "Firearm traces"),
    "traces_intro": (
        "Solicitudes de rastreo de armas de fuego entre las partes: tiempo de respuesta (días "
        "desde la solicitud hasta la respuesta) y tasa de respuesta.",
        "Firearm trace requests between the parties: turnaround (days from request to answer) "
        "and answer rate.",
    ),
    "traces_outgoing": ("Solicitudes que hicimos", "Requests we made"),
    "traces_incoming": ("Solicitudes que nos hicieron", "Requests asked of us"),
    "traces_requests": ("Solicitudes", "Requests"),
    "traces_answered": ("Respondidas", "Answered"),
    "traces_answer_rate": ("Tasa de respuesta", "Answer rate"),
    "traces_median": ("Mediana (días)", "Median (days)"),
    "traces_p90": ("Percentil 90 (días)", "90th percentile (days)"),
    "section_exchange": ("Intercambio de información", "Information exchange"),
    "exchange_since": (
        "Versiones de registros intercambiadas desde la reunión anterior ({date}).",
        "Record versions exchanged since the previous meeting ({date}).",
    ),
    "exchange_all": (
        "Versiones de registros intercambiadas desde el inicio (no hay reunión anterior).",
        "Record versions exchanged since the start (there is no previous meeting).",
    ),
    "released_to": ("Liberadas por {party} a {partner}", "Released by {party} to {partner}"),
    "received_from": ("Recibidas por {party} de {partner}", "Received by {party} from {partner}"),
    "record_kind": ("Tipo de registro", "Record kind"),
    "versions": ("Versiones", "Versions"),
    "no_exchange": (
        "No hubo intercambio en el periodo.",
        "Nothing was exchanged in the period.",
    ),
    "markings": ("Marcado", "Marking"),
    "releasable_to": ("liberable a", "releasable to"),
    "national_only": ("solo nacional", "national only"),
    "handling": ("código de manejo", "handling code"),
    "page": ("Página", "Page"),
    "of": ("de", "of"),
    "generated": ("Generado por Enlace", "Generated by Enlace"),
}

STATUS = {
    "announced": ("Anunciado", "Announced"),
    "in-progress": ("En curso", "In progress"),
    "delivered": ("Cumplido", "Delivered"),
    "stalled": ("Detenido", "Stalled"),
}
THEME = {
    "fentanyl": ("Fentanilo y precursores", "Fentanyl and precursors"),
    "firearms": ("Tráfico de armas", "Firearms trafficking"),
    "illicit-finance": ("Finanzas ilícitas", "Illicit finance"),
    "custody-transfers": ("Traslados de custodia", "Transfers of custody"),
    "drones": ("Drones", "Drones"),
    "fuel-theft": ("Robo de combustible", "Fuel theft"),
    "public-health": ("Salud pública", "Public health"),
    "information-exchange": ("Intercambio de información", "Information exchange"),
    "other": ("Otro", "Other"),
}
MECHANISM = {
    "security-implementation-group": (
        "Grupo de Implementación de Seguridad",
        "Security Implementation Group",
    ),
    "high-level-security-dialogue": (
        "Diálogo de Seguridad de Alto Nivel",
        "High-Level Security Dialogue",
    ),
    "ministerial": ("Reunión ministerial", "Ministerial meeting"),
    "working-group": ("Grupo de trabajo", "Working group"),
    "other": ("Otro mecanismo", "Other mechanism"),
}
RESPONSIBLE = {
    "MX": ("México", "Mexico"),
    "US": ("Estados Unidos", "United States"),
    "joint": ("Conjunto", "Joint"),
}
PARTY = {
    "MX": ("México", "Mexico"),
    "US": ("Estados Unidos", "United States"),
    "CA": ("Canadá", "Canada"),
    "GT": ("Guatemala", "Guatemala"),
}
KIND = {
    "agency": ("Dependencia", "Agency"),
    "person": ("Persona", "Person"),
    "company": ("Empresa", "Company"),
    "organisation": ("Organización criminal", "Criminal organisation"),
    "phone": ("Número telefónico", "Phone number"),
    "vehicle": ("Vehículo", "Vehicle"),
    "firearm": ("Arma de fuego", "Firearm"),
    "seizure": ("Aseguramiento", "Seizure"),
    "laboratory": ("Laboratorio clandestino", "Clandestine laboratory"),
    "custody-transfer": ("Traslado de custodia", "Transfer of custody"),
    "location": ("Lugar", "Location"),
    "relationship": ("Relación", "Relationship"),
    "meeting": ("Reunión", "Meeting"),
    "commitment": ("Compromiso", "Commitment"),
    "action": ("Acción", "Action"),
    "trace-request": ("Solicitud de rastreo", "Trace request"),
    "trace-response": ("Respuesta de rastreo", "Trace response"),
}
PERIOD_KIND = {
    "calendar-year": ("año calendario", "calendar year"),
    "fiscal-year": (
        "año fiscal de EE. UU. (desde el 1 de octubre)",
        "US fiscal year (from 1 October)",
    ),
    "month": ("mes", "month"),
}
UNIT = {
    "lbs": ("libras", "pounds"),
    "kg": ("kilogramos", "kilograms"),
    "count": ("número", "count"),
    "events": ("eventos", "events"),
    "pills": ("pastillas", "pills"),
    "l": ("litros", "litres"),
    "usd": ("dólares (USD)", "US dollars"),
    "mxn": ("pesos (MXN)", "Mexican pesos"),
}
VOCABULARIES: dict[str, dict[str, tuple[str, str]]] = {
    "status": STATUS,
    "theme": THEME,
    "mechanism": MECHANISM,
    "responsible": RESPONSIBLE,
    "party": PARTY,
    "kind": KIND,
    "period_kind": PERIOD_KIND,
    "unit": UNIT,
}


def language(raw: str) -> Language:
    """'es' or 'en' from what a user typed; raise UnknownLanguage otherwise."""
    code = raw.strip().lower()
    if code == "es":
        return "es"
    if code == "en":
        return "en"
    raise UnknownLanguage(raw)


def label(key: str, lang: Language) -> str:
    """A report label in `lang`."""
    return LABELS[key][LANGUAGES.index(lang)]


def term(vocabulary: str, value: str, lang: Language) -> str:
    """A vocabulary value (status, theme, kind...) in `lang`; the value itself if unknown."""
    pair = VOCABULARIES[vocabulary].get(value)
    return pair[LANGUAGES.index(lang)] if pair else value
