"""Customers of the demo company: persona, planted behaviour, acquisition and identity.

Private to :mod:`workbench.demo`. :func:`people` draws what the other parts of a chunk build
on (persona, purchase rate, basket, first purchase, natural lapse, consents);
:func:`customer_table` and :func:`truth_table` turn it into rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.demo.draws import Streams, pick
from workbench.demo.personas import NAMES
from workbench.demo.tables import TRUTH_COLUMNS, as_dtype, frame, take

if TYPE_CHECKING:
    from workbench.demo.world import World

REPS = ("Alice Martin", "Bruno Petit", "Chloé Durand", "David Leroy")
#: (country, city, share among persons, share among companies, sales rep index)
GEO = (
    ("FR", "Paris", 0.26, 0.25, 0),
    ("FR", "Lille", 0.06, 0.05, 0),
    ("FR", "Marseille", 0.08, 0.05, 1),
    ("FR", "Toulouse", 0.07, 0.05, 1),
    ("FR", "Nice", 0.04, 0.03, 1),
    ("FR", "Montpellier", 0.04, 0.03, 1),
    ("FR", "Lyon", 0.09, 0.08, 2),
    ("FR", "Strasbourg", 0.04, 0.04, 2),
    ("FR", "Grenoble", 0.03, 0.02, 2),
    ("FR", "Bordeaux", 0.06, 0.05, 3),
    ("FR", "Nantes", 0.06, 0.05, 3),
    ("FR", "Rennes", 0.03, 0.05, 3),
    ("BE", "Bruxelles", 0.03, 0.05, 0),
    ("BE", "Liège", 0.02, 0.03, 0),
    ("CH", "Genève", 0.025, 0.04, 2),
    ("CH", "Lausanne", 0.015, 0.03, 2),
    ("DE", "Berlin", 0.01, 0.03, 2),
    ("DE", "Munich", 0.01, 0.03, 2),
    ("ES", "Madrid", 0.02, 0.02, 1),
    ("ES", "Barcelona", 0.01, 0.02, 1),
)
#: Companies in Paris are key accounts, handled by this rep whatever the region.
KEY_ACCOUNT_REP = 3
FIRST_NAMES = {
    "F": "Camille Léa Manon Chloé Emma Inès Sarah Julie Marie Anne Sophie Isabelle Nathalie Claire "
    "Lucie Élodie".split(),
    "M": "Lucas Hugo Louis Thomas Nicolas Julien Pierre Antoine Paul Jean Michel Philippe Alain Marc "
    "Yann François".split(),
    "X": "Camille Dominique Claude Sacha Alex Charlie Morgan Eden Andrea Lou Noa Maxime Ange Alix "
    "Sasha Loïs".split(),
}
LAST_NAMES = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre "
    "Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier Dupont Lambert "
    "Bonnet François Martinez Legrand N'Diaye Nguyen".split()
)
COMPANY_SUFFIXES = "SARL|SAS|& Fils|Conseil|Distribution|Services|Industrie|Groupe".split("|")
SECTORS = "retail hospitality construction health education it_services public_sector manufacturing".split()
RATE_SHAPE = 4.0  # gamma shape of the per-customer purchase rate (cv 0.5)
EXISTING_BASE = (0.3, 90)  # share of customers acquired in the first days of the history
BIRTH_KNOWN = 0.85  # share of persons whose birth date is known


def people(w: World, st: Streams, blk: np.ndarray) -> dict[str, np.ndarray]:
    """Persona, planted behaviour and acquisition of each customer."""
    u = st.draw(blk, "random", cols=20)
    z = st.draw(blk, "standard_normal")
    e = st.draw(blk, "standard_exponential")
    g = st.draw(blk, "standard_gamma", RATE_SHAPE)
    p = pick(w.persona_cdf, 0, u[:, 0])
    c = {"u": u, "persona": p, "company": w.company[p], "rate": w.rate[p] * g / RATE_SHAPE}
    s = w.basket_sigma[p]
    c["mu_q"] = w.qty[p] * np.exp(s * z - s**2 / 2)  # lognormal, mean w.qty
    scale = (1 + w.lines[p]) * (1 + c["mu_q"])
    c["basket"], c["margin"] = scale * w.unit_revenue[p], scale * w.unit_margin[p]
    share, days = EXISTING_BASE
    acquired = np.where(u[:, 1] < share, np.floor(u[:, 2] * days), pick(w.acq_day_cdf, 0, u[:, 2]))
    c["first"] = acquired.astype("int64")
    c["nat_lapse"] = c["first"] + np.floor(e * w.lifetime_years[p] * 365.25).astype("int64")
    c["consent"] = u[:, 3:6] < w.consent[p]
    return c


def customer_table(w: World, c: dict, ids: pa.Array) -> pd.DataFrame:
    """The ``customers`` rows of a chunk, from :func:`people`."""
    u, p, comp = c["u"], c["persona"], c["company"]
    gender = pick(w.gender_cdf, p, u[:, 6])
    age = w.ages[p, 0] + u[:, 7] * (w.ages[p, 1] - w.ages[p, 0] + 1)
    geo = pick(w.geo_cdf, comp.astype(int), u[:, 8])
    rep = np.where(comp & (geo == 0), KEY_ACCOUNT_REP, np.array([g[4] for g in GEO])[geo])
    lead = np.floor(-np.log1p(-u[:, 17]) * np.where(comp, 60, 20))
    share0, mean = w.network[p, 1], w.network[p, 0]
    network = np.where(
        u[:, 14] < share0, 0.0, np.round(-np.log1p(-u[:, 15]) * mean / (1 - share0), 2)
    )
    birth = np.where(comp | (u[:, 16] >= BIRTH_KNOWN), np.nan, w.days - 1 - age * 365.25)
    return frame(
        "customers",
        dict(
            customer_id=ids,
            kind=np.where(comp, "company", "person"),
            name=_names(u, gender, comp),
            gender=take("FMX", gender, comp),
            birth_date=w.dates(np.floor(birth)),
            age=np.where(comp, np.nan, np.floor(age)),
            country=take([g[0] for g in GEO], geo),
            city=take([g[1] for g in GEO], geo),
            sector=take(SECTORS, u[:, 9] * len(SECTORS), ~comp),
            first_contact_date=w.dates(np.maximum(0, c["first"] - lead)),
            signature_date=w.dates(c["first"]),
            acquisition_channel=take(w.acq_vocab, pick(w.acq_channel_cdf, p, u[:, 12])),
            sales_rep=take(REPS, rep),
            newsletter_subscribed=u[:, 13] < w.newsletter[p],
            network_score=network,
            consent_email=c["consent"][:, 0],
            consent_phone=c["consent"][:, 1],
            consent_mail=c["consent"][:, 2],
        ),
    )


def _names(u: np.ndarray, gender: np.ndarray, company: np.ndarray) -> np.ndarray:
    """ "First Last" for persons (first name by gender), "Last Suffix" for companies."""
    first_names = np.array([FIRST_NAMES[g] for g in "FMX"], object)
    last = np.array(LAST_NAMES, object)[(u[:, 10] * len(LAST_NAMES)).astype(int)]
    suffix = np.array(COMPANY_SUFFIXES, object)[(u[:, 11] * len(COMPANY_SUFFIXES)).astype(int)]
    person = first_names[gender, (u[:, 9] * first_names.shape[1]).astype(int)] + " " + last
    return np.where(company, last + " " + suffix, person)


def truth_table(w: World, c: dict, ids: pa.Array) -> pd.DataFrame:
    """The ``customers_truth`` rows of a chunk: planted persona, lapse, rate, basket, margin."""
    lapsed = c["lapse"] <= w.days - 1
    cause = np.where(c["by_incident"], "incident", "natural")
    data = dict(
        customer_id=ids,
        persona=take(NAMES, c["persona"]),
        first_purchase_date=w.dates(c["first"]),
        lapse_date=w.dates(np.where(lapsed, c["lapse"], np.nan)),
        lapse_cause=np.where(lapsed, cause, None),
        purchase_rate_per_year=c["rate"],
        mean_basket=c["basket"],
        mean_order_margin=c["margin"],
        mean_discount=w.disc[c["persona"]].mean(axis=1),
    )
    return pd.DataFrame({k: as_dtype(v, TRUTH_COLUMNS[k]) for k, v in data.items()})
