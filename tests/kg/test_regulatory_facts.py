"""Each corrected regulatory fact says what the document read says (its address is on the fact)."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS, XSD

from kg.namespaces import DMO, DMR


def day(text: str) -> Literal:
    return Literal(text, datatype=XSD.date)


def year(text: str) -> Literal:
    return Literal(text, datatype=XSD.gYear)


def test_every_measure_and_instrument_says_what_was_read_or_that_it_is_unverified(
        kg_graph: Graph) -> None:
    for kind in (DMO.ControlMeasure, DMO.LegalInstrument):
        for subject in kg_graph.subjects(predicate=None, object=kind):
            if not isinstance(subject, URIRef) or not str(subject).startswith(str(DMR)):
                continue
            checked = list(kg_graph.objects(subject, DMO.checkedIn))
            notes = " ".join(str(n) for n in kg_graph.objects(subject, SKOS.note))
            assert checked or "nverified" in notes or "not read" in notes, subject


def test_ketamine_1997_listing_is_the_arrete_of_8_august_1997(kg_graph: Graph) -> None:
    # Sénat QE 35603, answer of 21 March 2002: "depuis l'arrêté en date du 8 août 1997, la
    # kétamine et ses sels sont inscrits sur la liste des substances classées comme stupéfiants".
    measure = DMR["regulation/ketamine-fr-stupefiants-1997"]
    instrument = DMR["regulation/arrete-1997-08-08-ketamine"]
    assert kg_graph.value(measure, DMO.establishedBy) == instrument
    assert kg_graph.value(instrument, DMO.signedOn) == day("1997-08-08")
    assert set(kg_graph.objects(measure, DMO.regulates)) == {DMR["substance/ketamine"]}
    assert kg_graph.value(measure, DMO.effectiveFrom) == year("1997")


def test_injectables_on_liste_i_by_the_arrete_of_4_december_1997_until_24_april_2017(
        kg_graph: Graph) -> None:
    # Sénat QE 35603: injectable ketamine medicines "sont inscrits sur la liste I des substances
    # vénéneuses par l'arrêté du 4 décembre 1997"; APM/SOFIA: the JO of 24 January 2017 (texte
    # 19) removes them from liste I, "entrera en vigueur le 24 avril 2017".
    measure = DMR["regulation/injectable-ketamine-fr-liste-i"]
    assert kg_graph.value(measure, DMO.establishedBy) == DMR[
        "regulation/arrete-1997-12-04-injectable-ketamine"]
    ended_by = DMR["regulation/arrete-2017-01-injectable-ketamine"]
    assert kg_graph.value(measure, DMO.endedBy) == ended_by
    assert kg_graph.value(measure, DMO.effectiveUntil) == day("2017-04-24")
    assert kg_graph.value(ended_by, DMO.publishedOn) == day("2017-01-24")
    assert kg_graph.value(ended_by, DMO.inForceFrom) == day("2017-04-24")
    assert set(kg_graph.objects(measure, DMO.regulates)) == {DMR["substance/injectable-ketamine"]}


def test_2017_listing_concerns_injectables_only_and_is_the_second_arrete_of_19_january(
        kg_graph: Graph) -> None:
    # ANSM via CRPV Tours: the ministry decided "d'inscrire les préparations injectables de
    # kétamine sur la liste des substances classées comme stupéfiant", applicable 24/04/2017.
    # Le Point Vétérinaire n° 373: "Deux arrêtés du 19 janvier 2017 ... Le second classe la
    # kétamine sous toutes ses formes comme stupéfiant ... applicables à compter du 24 avril
    # 2017"; LeFil.vet: "Le Journal officiel des 24 et 26 janvier 2017 a publié deux arrêtés".
    measure = DMR["regulation/injectable-ketamine-fr-stupefiants-2017"]
    assert set(kg_graph.objects(measure, DMO.regulates)) == {DMR["substance/injectable-ketamine"]}
    instrument = DMR["regulation/arrete-2017-01-19-ketamine-stupefiants"]
    assert kg_graph.value(measure, DMO.establishedBy) == instrument
    assert kg_graph.value(instrument, DMO.signedOn) == day("2017-01-19")
    assert kg_graph.value(instrument, DMO.publishedOn) == day("2017-01-26")
    assert kg_graph.value(instrument, DMO.inForceFrom) == day("2017-04-24")
    assert "medium confidence" in str(kg_graph.value(instrument, SKOS.note))
    removal = DMR["regulation/arrete-2017-01-injectable-ketamine"]
    assert kg_graph.value(removal, DMO.signedOn) == day("2017-01-19")
    assert kg_graph.value(DMR["substance/injectable-ketamine"], DMO.activeIngredient) == DMR[
        "substance/ketamine"]


@pytest.mark.parametrize(("measure", "instruments", "published", "requirement"), [
    # SFAR: "Arrêté du 16 août 2001 portant application de la réglementation des stupéfiants
    # aux médicaments à base de kétamine", NOR SANP0123026A, J.O. n° 196 du 25 août 2001.
    ("regulation/ketamine-fr-theft-reporting-2001",
     {"regulation/arrete-2001-08-16-ketamine-medicines",
      "regulation/arrete-2001-09-04-ketamine-medicines",
      "regulation/arrete-2003-07-31-ketamine-tiletamine"}, "2001-08-25", "theft-reporting"),
    # infirmiers.com: arrêté du 31 juillet 2003 "aux médicaments à base de kétamine et aux
    # médicaments à base de tilétamine administrés en médecine humaine et vétérinaire";
    # Le Moniteur des pharmacies: published in the JO of 3 September.
    ("regulation/ketamine-fr-locked-storage-2003",
     {"regulation/arrete-2003-07-31-ketamine-tiletamine"}, "2003-09-03", "locked-storage"),
])
def test_theft_reporting_and_locked_storage_apply_to_ketamine_medicines(
        kg_graph: Graph, measure: str, instruments: set[str], published: str,
        requirement: str) -> None:
    subject = DMR[measure]
    assert set(kg_graph.objects(subject, DMO.regulates)) == {DMR["substance/ketamine-medicines"]}
    assert set(kg_graph.objects(subject, DMO.establishedBy)) == {DMR[i] for i in instruments}
    assert kg_graph.value(subject, DMO.imposesRequirement) == DMR[f"concept/{requirement}"]
    last = DMR[sorted(instruments)[-1] if len(instruments) == 1 else sorted(instruments)[0]]
    assert kg_graph.value(last, DMO.publishedOn) == day(published)
    label = str(kg_graph.value(subject, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
    assert "human and veterinary" in label or "humain et vétérinaire" in label


def test_codeine_date_conflict_kept_at_medium_confidence(kg_graph: Graph) -> None:
    # service-public.fr A11875: "publication d'un arrêté en ce sens au Journal officiel du 16
    # juillet 2017"; CEIP-A Lorraine: "entré en vigueur le 14 juillet 2017"; SVP: "Depuis le
    # 17 juillet 2017, les pharmaciens ne peuvent plus…"; France Bleu: "à effet immédiat".
    instrument = DMR["regulation/arrete-2017-07-12-codeine"]
    assert kg_graph.value(instrument, DMO.signedOn) == day("2017-07-12")
    assert kg_graph.value(instrument, DMO.publishedOn) == day("2017-07-16")
    measure = DMR["regulation/codeine-medicines-fr-prescription-only-2017"]
    assert kg_graph.value(measure, DMO.effectiveFrom) == day("2017-07-17")
    claim = DMR["claim/arrete-2017-codeine-prescription-only"]
    assert kg_graph.value(claim, DMO.confidence) == DMR["concept/medium-confidence"]
    note = str(kg_graph.value(claim, SKOS.note, any=True))
    for date in ("12 July", "14 July", "17 July", "16 July"):
        assert date in " ".join(str(n) for n in kg_graph.objects(claim, SKOS.note)) or \
            date in note
    title = str(kg_graph.value(instrument, URIRef("http://purl.org/dc/terms/title")))
    assert title.startswith("[") and title.endswith("]")  # descriptive, not an official title


@pytest.mark.parametrize(("measure", "product", "category"), [
    # CEIP-A Lorraine: "sous forme de sirop : liste II"; "sous une forme pharmaceutique autre
    # que sirop : liste I"; "dextrométhorphane ou de noscapine quelle que soit leur forme
    # pharmaceutique : liste I".
    ("regulation/codeine-syrups-fr-liste-ii-2017", "substance/codeine-ethylmorphine-syrups",
     "fr-liste-ii"),
    ("regulation/codeine-other-forms-fr-liste-i-2017",
     "substance/codeine-ethylmorphine-other-forms", "fr-liste-i"),
    ("regulation/dextromethorphan-noscapine-fr-liste-i-2017",
     "substance/dextromethorphan-noscapine-medicines", "fr-liste-i"),
])
def test_codeine_placements_by_form(kg_graph: Graph, measure: str, product: str,
                                    category: str) -> None:
    subject = DMR[measure]
    assert set(kg_graph.objects(subject, DMO.regulates)) == {DMR[product]}
    assert kg_graph.value(subject, DMO.controlStatus) == DMR[f"concept/{category}"]
    assert (DMR[product], URIRef(f"{DMO}activeIngredient"), None) in kg_graph


@pytest.mark.parametrize(("instrument", "signed", "in_force"), [
    # UN Treaty Collection VI-15: New York, 30 March 1961; "Entry into force: 13 December
    # 1964, in accordance with article 41".
    ("regulation/un-single-convention-1961", "1961-03-30", "1964-12-13"),
    # UN Treaty Collection VI-16: Vienna, 21 February 1971; "16 August 1976, in accordance
    # with article 26(1)".
    ("regulation/un-convention-psychotropic-substances-1971", "1971-02-21", "1976-08-16"),
])
def test_conventions_date_from_entry_into_force(kg_graph: Graph, instrument: str, signed: str,
                                                in_force: str) -> None:
    subject = DMR[instrument]
    assert kg_graph.value(subject, DMO.signedOn) == day(signed)
    assert kg_graph.value(subject, DMO.inForceFrom) == day(in_force)
    for measure in kg_graph.subjects(DMO.establishedBy, subject):
        start = str(kg_graph.value(measure, DMO.effectiveFrom))
        assert start >= in_force[:4], measure  # never the signature year


def test_mdma_dates_from_its_addition_not_from_1971(kg_graph: Graph) -> None:
    # ECDD repository: the 1985 Expert Committee "recommended that it be placed in Schedule I".
    measure = DMR["regulation/un-1971-schedule-i-mdma"]
    assert str(kg_graph.value(measure, DMO.effectiveFrom)) >= "1985"
    assert "unverified" in str(kg_graph.value(measure, SKOS.note))


def test_ketamine_international_status_rests_on_dated_decisions(kg_graph: Graph) -> None:
    # WHO, Dec 2015: "For the fourth time since 2006 … ketamine should not be placed under
    # international control" (2006, 2012, 2014, 2015); APS: the panel's recommendation of
    # 8 December 2015.
    status = DMR["regulation/ketamine-not-internationally-controlled"]
    assert kg_graph.value(status, DMO.effectiveFrom) is None
    assert kg_graph.value(status, DMO.statusAsOf) == day("2015-12-08")
    note = str(kg_graph.value(status, SKOS.note))
    assert all(y in note for y in ("2006", "2012", "2014", "2015", "E/CN.7/2015/7"))


def test_cannabis_in_schedule_iv_until_december_2020(kg_graph: Graph) -> None:
    # CND, 2 December 2020: "Cannabis and cannabis resin will accordingly be deleted from
    # Schedule IV of the 1961 Convention. They remain in Schedule I".
    measure = DMR["regulation/un-1961-schedule-iv-cannabis"]
    assert kg_graph.value(measure, DMO.effectiveUntil) == day("2020-12-02")
    assert kg_graph.value(measure, DMO.endedBy) == DMR["regulation/cnd-decision-63-17"]
    assert set(kg_graph.objects(measure, DMO.regulates)) == {
        DMR["substance/herbal-cannabis"], DMR["substance/cannabis-resin"]}


def test_ethylmorphine_and_low_dose_codeine_preparations_are_scheduled(kg_graph: Graph) -> None:
    assert (DMR["regulation/un-1961-schedule-ii-codeine"], DMO.regulates,
            DMR["substance/ethylmorphine"]) in kg_graph
    assert kg_graph.value(DMR["regulation/un-1961-schedule-iii-codeine-preparations"],
                          DMO.controlStatus) == DMR["concept/un-1961-schedule-iii"]


def test_french_status_of_the_article_substances_is_marked_unverified(kg_graph: Graph) -> None:
    measure = DMR["regulation/fr-stupefiants-cocaine-cannabis-heroin-mdma"]
    regulated = set(kg_graph.objects(measure, DMO.regulates))
    assert {DMR[f"substance/{s}"] for s in ("cocaine", "herbal-cannabis", "heroin", "mdma")} \
        <= regulated
    assert "Unverified" in str(kg_graph.value(measure, SKOS.note))


def test_state_of_emergency_has_its_period(kg_graph: Graph) -> None:
    # Loi no 2017-1154: "Est prorogé, à compter du 16 juillet 2017, jusqu'au 1er novembre
    # 2017, l'état d'urgence déclaré par le décret n° 2015-1475 du 14 novembre 2015".
    factor = DMR["factor/police-presence-state-of-emergency"]
    assert kg_graph.value(factor, DMO.periodStart) == day("2015-11-14")
    assert kg_graph.value(factor, DMO.periodEnd) == day("2017-11-01")
    assert set(kg_graph.objects(factor, DMO.periodSetBy)) == {
        DMR["regulation/decret-2015-1475-etat-d-urgence"],
        DMR["regulation/loi-2017-1154-etat-d-urgence"]}


def claims(graph: Graph, ref: str) -> list[URIRef]:
    return [c for c, r in graph.subject_objects(SKOS.notation)  # type: ignore[misc]
            if str(r) == ref]


def test_regulatory_claims_credit_the_sources_read(kg_graph: Graph) -> None:
    for ref in ("R5", "R6", "R7", "R8", "R10"):
        assert claims(kg_graph, ref)
        for claim in claims(kg_graph, ref):
            source = kg_graph.value(claim, DMO.statedIn)
            assert source is not None
            # Not the legal text itself, which nobody read.
            assert (source, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                    DMO.LegalInstrument) not in kg_graph, (ref, source)
    r5 = claims(kg_graph, "R5")[0]
    assert kg_graph.value(r5, DMO.statedIn) == DMR["source/service-public-2017-a11875"]
    assert {DMR["source/ceip-lorraine-2017-codeine"], DMR["source/svp-2017-codeine"]} <= set(
        kg_graph.objects(r5, DMO.corroboratedBy))


def test_herbal_cannabis_is_narrower_than_addicto_cannabis(kg_graph: Graph) -> None:
    herb = DMR["substance/herbal-cannabis"]
    addicto = URIRef("http://addictovocab.org/ADDICTO_0000919")
    assert (herb, SKOS.broadMatch, addicto) in kg_graph
    assert (herb, SKOS.exactMatch, addicto) not in kg_graph


def test_2001_amendment_and_brief_locked_storage(kg_graph: Graph) -> None:
    # SFAR: "Arrêté du 4 septembre 2001 modifiant l'arrêté du 16 août 2001 ... NOR :
    # SANP0123127A", "J.O. Numéro 211 du 12 Septembre 2001". Le Moniteur des pharmacies: "classées
    # comme stupéfiants depuis le 25 août ... doivent être détenues dans des armoires ou des
    # locaux fermés à clé".
    amendment = DMR["regulation/arrete-2001-09-04-ketamine-medicines"]
    assert kg_graph.value(amendment, DMO.publishedOn) == day("2001-09-12")
    assert "SANP0123127A" in str(kg_graph.value(amendment, URIRef(
        "http://purl.org/dc/terms/bibliographicCitation")))
    note = str(kg_graph.value(DMR["regulation/ketamine-fr-theft-reporting-2001"], SKOS.note))
    assert "from 25 August to 12 September 2001" in note


def test_state_of_emergency_instruments_have_their_dates(kg_graph: Graph) -> None:
    # doctrine.fr: loi n° 2017-1154 "Entrée en vigueur : 13 juillet 2017", "JO, 12 juillet 2017,
    # texte n°1"; affaires-publiques.org: décret n° 2015-1475 "JO 14/11/2015", "à compter du
    # samedi 14 novembre 2015, à zéro heure, sur le territoire métropolitain et en Corse".
    law = DMR["regulation/loi-2017-1154-etat-d-urgence"]
    assert kg_graph.value(law, DMO.publishedOn) == day("2017-07-12")
    assert kg_graph.value(law, DMO.inForceFrom) == day("2017-07-13")
    decree = DMR["regulation/decret-2015-1475-etat-d-urgence"]
    assert kg_graph.value(decree, DMO.inForceFrom) == day("2015-11-14")
    assert "2015-1493" in str(kg_graph.value(decree, SKOS.note))


def test_cnd_decision_carries_its_adoption_not_its_effect(kg_graph: Graph) -> None:
    # GPN / CND, 2 December 2020: adopted by 27 votes to 25 with one abstention.
    decision = DMR["regulation/cnd-decision-63-17"]
    assert kg_graph.value(decision, DMO.adoptedOn) == day("2020-12-02")
    assert kg_graph.value(decision, DMO.signedOn) is None
    assert kg_graph.value(decision, DMO.inForceFrom) is None
    assert "not read" in str(kg_graph.value(decision, SKOS.note))


def test_schedule_i_read_in_the_un_commentary_and_cnd_deferral_in_javma(kg_graph: Graph) -> None:
    # UN Commentary, schedules: "CANNABIS and CANNABIS RESIN ...", "COCA LEAF", "COCAINE".
    measure = DMR["regulation/un-1961-schedule-i"]
    assert "COCA LEAF" in str(kg_graph.value(measure, SKOS.note))
    # JAVMA News, 1 December 2015: "The commission deferred action and asked for additional
    # information from the WHO"; the Expert Committee met "Nov. 16-20".
    note = str(kg_graph.value(DMR["regulation/ketamine-not-internationally-controlled"],
                              SKOS.note))
    assert "deferred action" in note and "16-20 November 2015" in note


def test_claims_credit_the_documents_that_say_them(kg_graph: Graph) -> None:
    # Sénat QE 35603 gives "l'arrêté en date du 8 août 1997" and "l'arrêté du 4 décembre 1997";
    # the ANSM notice says only "en 1997".
    r1 = claims(kg_graph, "R1")[0]
    assert kg_graph.value(r1, DMO.statedIn) == DMR["source/senat-qe-35603-2002"]
    assert DMR["source/ansm-2017-01-26-ketamine"] in set(kg_graph.objects(r1, DMO.corroboratedBy))
    # UN Commentary, list of Schedule I: cannabis, coca leaf, cocaine.
    for claim in claims(kg_graph, "R6") + claims(kg_graph, "R10"):
        assert kg_graph.value(claim, DMO.statedIn) == DMR[
            "source/un-commentary-single-convention-schedules"]
    # WHO ECDD 2019: "Preparations of codeine listed in Schedule III"; Schedule II not read.
    r7 = claims(kg_graph, "R7")[0]
    assert kg_graph.value(r7, DMO.statedIn) == DMR["source/who-ecdd-2019-codeine-preparations"]
    assert kg_graph.value(r7, DMO.confidence) == DMR["concept/low-confidence"]
    # ECDD repository: the 1985 Expert Committee "recommended that it be placed in Schedule I".
    r8 = claims(kg_graph, "R8")[0]
    assert kg_graph.value(r8, DMO.statedIn) == DMR["source/ecdd-repository-mdma"]
    assert (None, DMO.statedIn, DMR["source/un-schedules-secondary"]) not in kg_graph


def test_press_dispatch_names_apmnews_and_where_it_was_read(kg_graph: Graph) -> None:
    # SOFIA brève 1228: "a appris APMnews auprès de l'ANSM" ... "Dépêche APM".
    dispatch = DMR["source/press-dispatch-2017-01-24-ketamine"]
    assert "APMnews" in " ".join(str(x) for x in kg_graph.objects(
        dispatch, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
    assert str(kg_graph.value(dispatch, URIRef("https://schema.org/url"))) == \
        "https://sofia.medicalistes.fr/spip/spip.php?breve1228"


def test_codeine_entry_into_force_rests_on_svp_and_the_default_rule(kg_graph: Graph) -> None:
    # SVP: "Depuis le 17 juillet 2017, les pharmaciens ne peuvent plus donc délivrer sans
    # ordonnance"; Le Pharmacien de France gives the split by form "d'après le CRPV de Toulouse",
    # in the future tense.
    instrument = DMR["regulation/arrete-2017-07-12-codeine"]
    checked = {str(c) for c in kg_graph.objects(instrument, DMO.checkedIn)}
    assert not any("pharma365" in c for c in checked)
    note = " ".join(str(n) for n in kg_graph.objects(instrument, SKOS.note))
    assert "Code civil" in note and "entry-into-force clause was not read" in note
    for measure in ("codeine-syrups-fr-liste-ii-2017", "codeine-other-forms-fr-liste-i-2017",
                    "dextromethorphan-noscapine-fr-liste-i-2017"):
        assert "wording was not read" in str(kg_graph.value(DMR[f"regulation/{measure}"],
                                                            SKOS.note))


def test_conventions_cite_the_un_treaty_collection_only(kg_graph: Graph) -> None:
    # UNTC VI-15 gives 13 December 1964 and VI-16 16 August 1976; the CFR's "16 December" is
    # no longer reported as a conflict.
    for instrument, page in (("un-single-convention-1961", "VI-15"),
                             ("un-convention-psychotropic-substances-1971", "VI-16")):
        checked = [str(c) for c in kg_graph.objects(DMR[f"regulation/{instrument}"],
                                                    DMO.checkedIn)]
        assert checked and all("treaties.un.org" in c and page in c for c in checked)
        assert "16 December" not in str(kg_graph.value(DMR[f"regulation/{instrument}"],
                                                       SKOS.note))


def test_the_1990_list_copy_is_a_consolidated_text(kg_graph: Graph) -> None:
    # The 123dok copy cites article L. 5132-1 of the Public Health Code (numbering from 2000).
    note = str(kg_graph.value(DMR["regulation/arrete-1990-02-22-stupefiants"], SKOS.note))
    assert "consolidated" in note and "L. 5132-1" in note
    measure = str(kg_graph.value(DMR["regulation/fr-stupefiants-cocaine-cannabis-heroin-mdma"],
                                 SKOS.note))
    assert "not its entry into force" in measure and "nothing was read" in measure
