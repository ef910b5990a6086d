"""Agencies each party starts with (DOMAIN.md, "The cooperation"); a node can add others."""

from __future__ import annotations

DEFAULT_AGENCIES: dict[str, tuple[tuple[str, str], ...]] = {
    "MX": (
        ("SRE", "Secretaría de Relaciones Exteriores"),
        ("SSPC", "Secretaría de Seguridad y Protección Ciudadana"),
        ("SESNSP", "Secretariado Ejecutivo del Sistema Nacional de Seguridad Pública"),
        ("UIF", "Unidad de Inteligencia Financiera"),
        ("DEFENSA", "Secretaría de la Defensa Nacional"),
        ("MARINA", "Secretaría de Marina"),
        ("FGR", "Fiscalía General de la República"),
        ("ANAM", "Agencia Nacional de Aduanas de México"),
    ),
    "US": (
        ("STATE", "U.S. Department of State"),
        ("CBP", "U.S. Customs and Border Protection"),
        ("HSI", "Homeland Security Investigations"),
        ("DEA", "Drug Enforcement Administration"),
        ("ATF", "Bureau of Alcohol, Tobacco, Firearms and Explosives"),
        ("FBI", "Federal Bureau of Investigation"),
        ("TREASURY", "U.S. Department of the Treasury"),
    ),
}
