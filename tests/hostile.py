"""Valid rows of every raw format and the hostile values the bad-input and fuzz tests put into them."""

from __future__ import annotations

from analysis.sources import air_force, news, ucdp
from conftest import ACLED_ROW

UCDP_ROW = {
    **dict.fromkeys(ucdp.GED_COLUMNS, ""),
    "id": "900001", "relid": "UKR-2022-1-411-1", "year": "2022", "active_year": "True", "code_status": "Clear",
    "type_of_violence": "1", "conflict_dset_id": "13243", "conflict_new_id": "13243",
    "conflict_name": "Russia - Ukraine", "dyad_dset_id": "14497", "dyad_new_id": "14497",
    "dyad_name": "Government of Russia (Soviet Union) - Government of Ukraine", "side_a_dset_id": "57",
    "side_a_new_id": "57", "side_a": "Government of Russia (Soviet Union)", "side_b_dset_id": "61",
    "side_b_new_id": "61", "side_b": "Government of Ukraine", "number_of_sources": "1",
    "source_office": "Test Agency", "source_date": "2022-03-14", "source_headline": "Shelling reported",
    "where_prec": "1", "where_coordinates": "Kramatorsk town", "adm_1": "Donetsk oblast",
    "adm_2": "Kramatorsk raion", "latitude": "48.7231", "longitude": "37.5563", "country": "Ukraine",
    "country_id": "369", "region": "Europe", "event_clarity": "1", "date_prec": "1", "date_start": "2022-03-14",
    "date_end": "2022-03-14", "deaths_a": "1", "deaths_b": "2", "deaths_civilians": "0", "deaths_unknown": "0",
    "best": "3", "high": "4", "low": "3", "gwnoa": "365", "gwnob": "369",
}
NEWS_ROW = {
    **dict.fromkeys(news.TEMPLATE_COLUMNS, ""),
    "event_id": "kramatorsk-strike", "date": "2023-03-14", "place": "Kramatorsk", "oblast": "Donetsk",
    "event_type": "Explosions/Remote violence", "sub_event_type": "Shelling/artillery/missile attack",
    "weapon": "missile", "killed": "2", "injured": "3", "civilians_killed": "1", "civilians_injured": "3",
    "buildings_damaged": "6", "description": "A missile hit an apartment building.",
    "source_name": "Test outlet, 14 March 2023", "source_url": "https://example.org/a",
    "publication_date": "2023-03-14",
}
CLAIMS_ROW = {
    "claim_id": "genstaff-attacks", "date": "2023-03-14", "period_days": "1", "metric": "attacks_repelled",
    "value": "102", "claimant": "General Staff", "oblast": "", "places": "Bakhmut; Lyman",
    "description": "Over the past day, our forces repelled 102 enemy attacks.", "source_name": "Test outlet",
    "source_url": "", "publication_date": "2023-03-14",
}
AIR_FORCE_ROW = {
    **dict.fromkeys(air_force.ALL_COLUMNS, ""),
    "time_start": "2023-03-14 18:00", "time_end": "2023-03-15 08:30", "model": "Shahed-136/131",
    "launch_place": "Kursk oblast", "target": "Ukraine", "launched": "10.0", "destroyed": "8.0",
    "not_reach_goal": "", "source": "kpszsu/posts/pfbid0test",
}

# format -> (valid row, its id column, the columns read as counts)
FORMATS = {
    "acled": (ACLED_ROW, "event_id_cnty", ("fatalities", "year")),
    "ucdp_ged": (UCDP_ROW, "id", ("best", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown", "low", "high",
                                  "year")),
    "news": (NEWS_ROW, "event_id", ("killed", "injured", "civilians_killed", "civilians_injured", "buildings_damaged")),
    "reported_claim": (CLAIMS_ROW, "claim_id", ("value", "period_days")),
    "air_force": (AIR_FORCE_ROW, "source", ("launched", "destroyed", "not_reach_goal")),
}


def valid_rows(fmt: str, n: int) -> list[dict]:
    """``n`` valid rows of ``fmt`` with distinct ids."""
    row, id_column, _ = FORMATS[fmt]
    out = []
    for i in range(n):
        value = row[id_column]
        new_id = str(int(value) + i) if value.isdigit() else f"{value}{i}"
        out.append({**row, id_column: new_id})
    return out


# Hostile values of a count column and the rule that must reject them.
HOSTILE_COUNTS = {
    "99999999999999999999": "count_out_of_range",
    "1e19": "count_out_of_range",
    "-99999999999999999999": "count_out_of_range",
    "1e308": "count_out_of_range",
    "1000000001": "count_out_of_range",
    "9223372036854775808": "count_out_of_range",
    "2.5": "not_a_whole_number",
    "1e-5": "not_a_whole_number",
    "2.0000000000000001": "not_a_whole_number",
    "nan": "not_a_number",
    "NaN": "not_a_number",
    "inf": "not_a_number",
    "-Infinity": "not_a_number",
    "１２": "not_a_number",
    "٣": "not_a_number",
    "1,000": "not_a_number",
    "1 000": "not_a_number",
    "0x10": "not_a_number",
    "1_000": "not_a_number",
    "three": "not_a_number",
}
# Numbers for any column: counts, coordinates, codes, ids, dates.
HOSTILE_NUMBERS = list(HOSTILE_COUNTS) + ["-0", "-3", "0", "1e+05", "+5", ".5", "5.", "1e309", "-1e308", "99999",
                                          "99999-01-01", "2262-05-01", "1677-09-21", "0000-00-00", "9" * 400]
